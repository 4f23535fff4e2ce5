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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Publishes and checks the Redis deny-list described in {@link TokenRevocation}. Token times have one-second
 * resolution, so a revocation also covers tokens issued later within the same second: conservative on purpose.
 */
@ApplicationScoped
public class RevocationService {

    private final ReactiveValueCommands<String, String> values;
    private final Duration ttl;

    public RevocationService(ReactiveRedisDataSource redis, UserServiceConfig config) {
        this.values = redis.value(String.class);
        this.ttl = config.jwt().accessTokenTtl().plus(config.jwt().clockSkew()).plusSeconds(1);
    }

    public Uni<Void> revokeUser(UUID userId, Instant before) {
        return values.set(TokenRevocation.userKey(userId.toString()), Long.toString(before.getEpochSecond()),
                new SetArgs().ex(ttl));
    }

    public Uni<Void> revokeApiKey(UUID apiKeyId, Instant before) {
        return values.set(TokenRevocation.apiKeyKey(apiKeyId.toString()), Long.toString(before.getEpochSecond()),
                new SetArgs().ex(ttl));
    }

    public Uni<Boolean> isRevoked(String userId, String apiKeyId, long issuedAt) {
        List<String> keys = new ArrayList<>(List.of(TokenRevocation.userKey(userId)));
        if (apiKeyId != null) {
            keys.add(TokenRevocation.apiKeyKey(apiKeyId));
        }
        return values.mget(keys.toArray(String[]::new)).map((Map<String, String> found) ->
                found.values().stream().anyMatch(value -> TokenRevocation.revokes(value, issuedAt)));
    }
}
