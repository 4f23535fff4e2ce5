package dev.meridian.gateway.auth;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.meridian.gateway.auth.client.TokenExchangeClient;
import dev.meridian.gateway.config.GatewayConfig;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * API key to access JWT, so services only ever see JWTs. Tokens are cached (by a SHA-256 of the key, never the key)
 * until shortly before they expire; concurrent requests with one key share one exchange. A revoked key stops working
 * within seconds all the same: the cached token carries the key id, which the deny-list check refuses.
 */
@ApplicationScoped
public class ApiKeyTokenCache {

    private record Cached(String accessToken, long lifetimeNanos) {
    }

    private final TokenExchangeClient client;
    private final long renewBeforeNanos;
    private final AsyncCache<String, Cached> tokens;

    public ApiKeyTokenCache(TokenExchangeClient client, GatewayConfig config) {
        this.client = client;
        this.renewBeforeNanos = config.jwt().exchangeRenewBefore().toNanos();
        this.tokens = Caffeine.newBuilder()
                .maximumSize(100_000)
                .expireAfter(new Expiry<String, Cached>() {
                    @Override
                    public long expireAfterCreate(String key, Cached value, long currentTime) {
                        return value.lifetimeNanos();
                    }

                    @Override
                    public long expireAfterUpdate(String key, Cached value, long currentTime, long currentDuration) {
                        return value.lifetimeNanos();
                    }

                    @Override
                    public long expireAfterRead(String key, Cached value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .buildAsync();
    }

    public Uni<String> accessToken(String apiKey) {
        return Uni.createFrom().completionStage(() -> tokens.get(sha256(apiKey), (hash, executor) ->
                client.exchange(apiKey).map(exchanged -> new Cached(exchanged.accessToken(), Math.max(0,
                        Duration.ofSeconds(exchanged.expiresInSeconds()).toNanos() - renewBeforeNanos)))
                        .toCompletionStage().toCompletableFuture()))
                .map(Cached::accessToken);
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
