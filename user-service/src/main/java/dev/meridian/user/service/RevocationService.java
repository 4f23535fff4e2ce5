package dev.meridian.user.service;

import dev.meridian.revocation.TokenRevocation;
import dev.meridian.user.config.UserServiceConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.quarkus.redis.datasource.value.SetArgs;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Writes the Redis deny-list described in {@link TokenRevocation} (reads go through the shared
 * {@code dev.meridian.denylist.DenyList}). Token times have one-second resolution, so a revocation also covers tokens
 * issued later within the same second; {@link TokenService} issues tokens after a revocation with the next second.
 * <p>
 * Every write is idempotent (same key, same value, expiring when the last token it covers does), so a request whose
 * write failed (503) writes it again when retried: callers pass the revocation instant stored in the database, not
 * the time of the retry. A write fails within {@code meridian.users.deadlines.redis-write}.
 */
@ApplicationScoped
public class RevocationService {

    private final ReactiveValueCommands<String, String> values;
    private final Deadlines deadlines;
    private final Duration lifetime;

    public RevocationService(ReactiveRedisDataSource redis, Deadlines deadlines, UserServiceConfig config) {
        this.values = redis.value(String.class);
        this.deadlines = deadlines;
        // a token issued at the revocation second lives this long at most (verifiers allow the skew past expiry)
        this.lifetime = config.jwt().accessTokenTtl().plus(config.jwt().clockSkew()).plusSeconds(1);
    }

    /** Revokes every token of the user issued at or before {@code at}'s second. Null: nothing to revoke. */
    public Uni<Void> revokeUser(UUID userId, Instant at) {
        return revokeUser(userId, at, false);
    }

    /** @param redisStalled the request's own deny-list read just missed its deadline: a short write deadline */
    public Uni<Void> revokeUser(UUID userId, Instant at, boolean redisStalled) {
        return write(TokenRevocation.userKey(userId.toString()), at, redisStalled);
    }

    public Uni<Void> revokeApiKey(UUID userId, UUID apiKeyId, Instant at, boolean redisStalled) {
        return write(TokenRevocation.apiKeyKey(userId.toString(), apiKeyId.toString()), at, redisStalled);
    }

    private Uni<Void> write(String key, Instant at, boolean redisStalled) {
        if (at == null) {
            return Uni.createFrom().voidItem();
        }
        Instant expires = Instant.ofEpochSecond(at.getEpochSecond()).plus(lifetime);
        if (!expires.isAfter(Instant.now())) {
            return Uni.createFrom().voidItem(); // every token it would cover has expired already
        }
        return deadlines.redisWrite(values.set(key, Long.toString(at.getEpochSecond()), new SetArgs().exAt(expires)),
                redisStalled);
    }
}
