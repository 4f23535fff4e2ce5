package dev.meridian.gateway.auth;

import dev.meridian.gateway.auth.EdgeTokenVerifier.Identity;
import dev.meridian.gateway.auth.client.TokenExchangeClient;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.Exchange;
import dev.meridian.gateway.pipeline.Refusal;
import dev.meridian.gateway.pipeline.RouteTable;
import dev.meridian.gateway.pipeline.Step;
import dev.meridian.gateway.ratelimit.RateLimitGuard;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import jakarta.inject.Singleton;

/**
 * Who is calling, per the route's auth requirement. Public routes pass anonymous callers through (a valid token still
 * yields an identity); authenticated routes need a valid, unrevoked access token or API key; admin routes also the
 * admin role.
 */
@Singleton
public class AuthenticationStep implements Step {

    public static final String API_KEY_PREFIX = "mk_";

    private final EdgeTokenVerifier verifier;
    private final ApiKeyTokenCache apiKeys;
    private final RateLimitGuard limits;
    private final GatewayConfig.FailureMode onRedisFailure;

    public AuthenticationStep(EdgeTokenVerifier verifier, ApiKeyTokenCache apiKeys, RateLimitGuard limits,
                              GatewayConfig config) {
        this.verifier = verifier;
        this.apiKeys = apiKeys;
        this.limits = limits;
        this.onRedisFailure = config.rateLimits().onRedisFailure();
    }

    @Override
    public String spanName() {
        return "authenticate";
    }

    @Override
    public Uni<Void> apply(Exchange exchange) {
        return authenticate(exchange.route(), exchange.ctx().request().getHeader(HttpHeaders.AUTHORIZATION),
                exchange.clientIp(), exchange.ctx().response().headers())
                .invoke(identity -> exchange.identity(identity)).replaceWithVoid();
    }

    /**
     * The caller's identity, or null for an anonymous caller of a public route. The deny-list is read here unless
     * the route's rate-limit step reads it ({@link RouteTable.Route#denyListInRateLimit}).
     *
     * @param clientIp        an API key that must be exchanged costs this address one request of its limit first
     * @param responseHeaders where that limit's RateLimit headers go
     */
    public Uni<Identity> authenticate(RouteTable.Route route, String authorization, String clientIp,
                                      MultiMap responseHeaders) {
        String token = bearer(authorization);
        if (token == null) {
            return route.auth() == GatewayConfig.Auth.PUBLIC ? Uni.createFrom().nullItem()
                    : Uni.createFrom().failure(new Refusal(401, "unauthorized", "Unauthorized",
                            "a valid access token is required (Authorization: Bearer ...)", 0));
        }
        // API keys (what OpenAI SDKs send as their key) become access JWTs before anything else looks at them
        Uni<String> accessToken = token.startsWith(API_KEY_PREFIX)
                ? apiKeyToken(route, token, clientIp, responseHeaders)
                : Uni.createFrom().item(token);
        // a route that fails closed when Redis cannot answer refuses a token it cannot check against the deny-list
        EdgeTokenVerifier.RevocationCheck revocation = route.denyListInRateLimit()
                ? EdgeTokenVerifier.RevocationCheck.SKIP
                : route.onRedisFailure().orElse(onRedisFailure) == GatewayConfig.FailureMode.CLOSED
                ? EdgeTokenVerifier.RevocationCheck.FAIL_CLOSED : EdgeTokenVerifier.RevocationCheck.FAIL_OPEN;
        Uni<Identity> verified = accessToken.flatMap(jwt -> verifier.verify(jwt, revocation));
        if (route.auth() == GatewayConfig.Auth.PUBLIC) {
            // a stale or broken token must not lock anyone out of sign-up or login: they go on as anonymous
            return verified.onFailure().recoverWithNull();
        }
        return verified
                .onFailure(EdgeTokenVerifier.VerificationException.class).transform(e -> {
                    EdgeTokenVerifier.VerificationException failure = (EdgeTokenVerifier.VerificationException) e;
                    return failure.failure() == EdgeTokenVerifier.Failure.KEYS_UNAVAILABLE
                            ? new Refusal(503, "auth-unavailable", "Service Unavailable",
                                    "tokens cannot be verified yet (user-service keys not loaded); retry shortly", 5)
                            : failure.failure() == EdgeTokenVerifier.Failure.REVOCATIONS_UNAVAILABLE
                            ? new Refusal(503, "auth-unavailable", "Service Unavailable",
                                    "token revocations cannot be checked right now; retry shortly", 1)
                            : new Refusal(401, "unauthorized", "Unauthorized", "the access token is " + (
                                    failure.failure() == EdgeTokenVerifier.Failure.REVOKED ? "revoked" : "invalid or expired"), 0);
                })
                .invoke(identity -> {
                    if (route.auth() == GatewayConfig.Auth.ADMIN && !identity.roles().contains("admin")) {
                        throw new Refusal(403, "forbidden", "Forbidden", "this route needs the admin role", 0);
                    }
                });
    }

    /**
     * The access token an API key stands for. A key exchanged recently costs nothing; one refused recently is refused
     * again without asking; any other costs the client's address one request of its limit before user-service is
     * asked, so a flood of invented keys is limited like any anonymous caller and never reaches the database.
     */
    private Uni<String> apiKeyToken(RouteTable.Route route, String apiKey, String clientIp, MultiMap responseHeaders) {
        String known = apiKeys.cachedAccessToken(apiKey);
        if (known != null) {
            return Uni.createFrom().item(known);
        }
        if (apiKeys.recentlyRefused(apiKey)) {
            return Uni.createFrom().failure(KEY_REFUSED);
        }
        Uni<Void> addressLimit = !limits.enabled() ? Uni.createFrom().voidItem()
                : limits.acquire(RateLimitGuard.ANONYMOUS, "ip:" + clientIp, null, route.onRedisFailure().orElse(null))
                        .invoke(decision -> RateLimitGuard.enforce(decision, responseHeaders)).replaceWithVoid();
        return addressLimit.flatMap(ignored -> apiKeys.accessToken(apiKey))
                .onFailure(TokenExchangeClient.KeyRefused.class).transform(e -> KEY_REFUSED)
                .onFailure(TokenExchangeClient.ExchangeBusy.class).transform(e -> new Refusal(503, "auth-busy",
                        "Service Unavailable", "too many API keys are being checked right now; retry shortly", 1))
                .onFailure(f -> !(f instanceof Refusal)).transform(e -> new Refusal(503, "auth-unavailable",
                        "Service Unavailable", "API keys cannot be checked right now; retry shortly", 5));
    }

    private static final Refusal KEY_REFUSED = new Refusal(401, "unauthorized", "Unauthorized",
            "the API key is invalid, expired or revoked", 0);

    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }
}
