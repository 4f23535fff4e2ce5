package dev.meridian.gateway.auth;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
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
import java.util.concurrent.CompletableFuture;

/**
 * API key to access JWT, so services only ever see JWTs. Tokens are cached (by a SHA-256 of the key, never the key)
 * until shortly before they expire; concurrent requests with one key share one exchange. A revoked key stops working
 * within seconds all the same: the cached token carries the key id, which the deny-list check refuses. Keys that were
 * refused are remembered (by hash) for a while, so an invented key costs user-service one exchange at most.
 */
@ApplicationScoped
public class ApiKeyTokenCache {

    /** An exchanged token, or why there is none ({@code failure}, never kept). */
    private record Cached(String accessToken, long lifetimeNanos, Throwable failure) {
    }

    private final TokenExchangeClient client;
    private final long renewBeforeNanos;
    private final AsyncCache<String, Cached> tokens;
    /** Hashes of keys user-service refused lately: asked again only after this memory fades. */
    private final Cache<String, Boolean> refused;

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
        this.refused = Caffeine.newBuilder().maximumSize(100_000)
                .expireAfterWrite(config.jwt().refusedKeyMemory()).build();
    }

    /** The access token a key was exchanged for, when one is held and still good; else null (no exchange starts). */
    public String cachedAccessToken(String apiKey) {
        CompletableFuture<Cached> held = tokens.getIfPresent(sha256(apiKey));
        Cached cached = held == null || !held.isDone() || held.isCompletedExceptionally() ? null : held.join();
        return cached == null || cached.failure() != null ? null : cached.accessToken();
    }

    public boolean recentlyRefused(String apiKey) {
        return refused.getIfPresent(sha256(apiKey)) != null;
    }

    public Uni<String> accessToken(String apiKey) {
        String hash = sha256(apiKey);
        // a failed exchange is an outcome, not a failed load: held by no one (lifetime 0), shared by its waiters, and
        // not logged by the cache, which a flood of invented keys would otherwise fill the log with
        return Uni.createFrom().completionStage(() -> tokens.get(hash, (key, executor) -> client.exchange(apiKey)
                        .map(exchanged -> new Cached(exchanged.accessToken(), Math.max(0,
                                Duration.ofSeconds(exchanged.expiresInSeconds()).toNanos() - renewBeforeNanos), null))
                        .otherwise(failure -> new Cached(null, 0, failure))
                        .toCompletionStage().toCompletableFuture()))
                .flatMap(cached -> {
                    if (cached.failure() == null) {
                        return Uni.createFrom().item(cached.accessToken());
                    }
                    if (cached.failure() instanceof TokenExchangeClient.KeyRefused) {
                        refused.put(hash, true);
                    }
                    return Uni.createFrom().failure(cached.failure());
                });
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
