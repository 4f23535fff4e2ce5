package dev.meridian.gateway;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;

import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/** Access tokens as user-service issues them, signed with the test key the echo upstream publishes as its JWKS. */
final class TestTokens {

    private TestTokens() {
    }

    static JwtClaimsBuilder claims(String userId) {
        Instant now = Instant.now();
        return Jwt.issuer("https://meridian.dev/user-service").subject(userId).audience("meridian")
                .issuedAt(now).expiresAt(now.plusSeconds(600)).claim("jti", UUID.randomUUID().toString())
                .groups(Set.of("user")).claim("tier", "free");
    }

    static String sign(JwtClaimsBuilder claims) {
        return claims.jws().keyId(EchoUpstreamResource.KID).sign(EchoUpstreamResource.signingKey.getPrivate());
    }
}
