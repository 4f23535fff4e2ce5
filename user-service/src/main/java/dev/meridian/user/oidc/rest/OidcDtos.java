package dev.meridian.user.oidc.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/** OpenID Connect Discovery 1.0, UserInfo, and RFC 7662 introspection answers, in the standards' field names. */
public final class OidcDtos {

    private OidcDtos() {
    }

    /**
     * What this provider does, and only that: no authorization endpoint (no browser flows), no ID tokens, so no
     * response types or ID-token algorithms are claimed; access tokens are RS256 JWTs.
     */
    public record Discovery(String issuer,
                            @JsonProperty("jwks_uri") String jwksUri,
                            @JsonProperty("token_endpoint") String tokenEndpoint,
                            @JsonProperty("userinfo_endpoint") String userinfoEndpoint,
                            @JsonProperty("introspection_endpoint") String introspectionEndpoint,
                            @JsonProperty("revocation_endpoint") String revocationEndpoint,
                            @JsonProperty("grant_types_supported") List<String> grantTypesSupported,
                            @JsonProperty("response_types_supported") List<String> responseTypesSupported,
                            @JsonProperty("subject_types_supported") List<String> subjectTypesSupported,
                            @JsonProperty("id_token_signing_alg_values_supported") List<String> idTokenAlgorithms,
                            @JsonProperty("token_endpoint_auth_methods_supported") List<String> tokenEndpointAuthMethods,
                            @JsonProperty("revocation_endpoint_auth_methods_supported") List<String> revocationAuthMethods,
                            @JsonProperty("introspection_endpoint_auth_methods_supported") List<String> introspectionAuthMethods,
                            @JsonProperty("scopes_supported") List<String> scopesSupported,
                            @JsonProperty("claims_supported") List<String> claimsSupported,
                            @JsonProperty("access_token_signing_alg_values_supported") List<String> accessTokenAlgorithms) {
    }

    /** OIDC standard claims of the caller, plus Meridian's roles and tier. */
    public record UserInfo(String sub, String email, String name, @JsonProperty("updated_at") long updatedAt,
                           List<String> roles, String tier) {
    }

    /** RFC 7662: only {@code active} when the token is not active (or not the caller's to inspect). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Introspection(boolean active, @JsonProperty("token_type") String tokenType, String sub, String iss,
                                Long iat, Long exp, @JsonProperty("key_id") String keyId) {

        public static final Introspection INACTIVE = new Introspection(false, null, null, null, null, null, null);
    }
}
