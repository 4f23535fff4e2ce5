package dev.meridian.gateway.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.redis.RedisConnections;
import dev.meridian.gateway.redis.RedisPipeline;
import io.quarkus.redis.client.RedisClientName;
import io.smallrye.common.annotation.Identifier;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.keys.KeyScanArgs;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Two tiers of stored answers: in-process (Caffeine, bounded by bytes, entries re-read from Redis every few seconds)
 * in front of the cache Redis (shared by all gateway instances, apart from the state Redis: see
 * {@link RedisConnections}). Keys are {@code <path?query>#<variant>}, where the variant
 * hashes the request headers the answer varies on, and the user for per-user answers. While Redis is unhealthy
 * lookups miss and stores are skipped (see {@link RedisPipeline}).
 */
@ApplicationScoped
public class ResponseCache {

    static final String PREFIX = "meridian:cache:v1:";
    private static final Logger LOG = Logger.getLogger(ResponseCache.class);

    /** What a path's answers vary on: request header names, and whether each user has their own. */
    public record Variants(List<String> vary, boolean perUser) {
        String toJson() {
            return new JsonObject().put("vary", new JsonArray(vary)).put("perUser", perUser).encode();
        }

        static Variants fromJson(String json) {
            JsonObject o = new JsonObject(json);
            return new Variants(o.getJsonArray("vary").stream().map(Object::toString).toList(), o.getBoolean("perUser"));
        }
    }

    private final ReactiveRedisDataSource redis;
    private final RedisPipeline pipeline;
    private final Duration localTtl;
    private final Cache<String, Object> local;
    private final boolean cluster;

    public ResponseCache(@RedisClientName(RedisConnections.CACHE) ReactiveRedisDataSource redis,
                         @Identifier(RedisConnections.CACHE) RedisPipeline pipeline, GatewayConfig config,
                         @ConfigProperty(name = "quarkus.redis." + RedisConnections.CACHE + ".client-type",
                                 defaultValue = "standalone") String clientType) {
        this.redis = redis;
        this.cluster = "cluster".equalsIgnoreCase(clientType);
        this.pipeline = pipeline;
        this.localTtl = config.cache().localTtl();
        this.local = Caffeine.newBuilder()
                .maximumWeight(config.cache().localMaxBytes())
                .weigher((String key, Object value) -> key.length() + 64
                        + (value instanceof CachedResponse r ? r.body().length + 32 * r.headers().size() : 0))
                .expireAfter(new Expiry<String, Object>() {
                    @Override
                    public long expireAfterCreate(String key, Object value, long currentTime) {
                        long ttl = localTtl.toNanos();
                        if (value instanceof CachedResponse r) {
                            ttl = Math.min(ttl, Duration.ofMillis(r.staleUntil() - System.currentTimeMillis()).toNanos());
                        }
                        return Math.max(0, ttl);
                    }

                    @Override
                    public long expireAfterUpdate(String key, Object value, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, value, currentTime);
                    }

                    @Override
                    public long expireAfterRead(String key, Object value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    /** The key of the stored answer for a request, given what the path's answers vary on. */
    public static String key(String base, Variants variants, UnaryOperator<String> requestHeader, String user) {
        StringBuilder variant = new StringBuilder();
        for (String name : variants.vary()) {
            String value = requestHeader.apply(name);
            variant.append(name.toLowerCase()).append('=').append(value == null ? "" : value.trim()).append('\n');
        }
        if (variants.perUser()) {
            variant.append("user=").append(user);
        }
        return base + "#" + sha256(variant.toString()).substring(0, 32);
    }

    /**
     * A fresh answer for the request already held in this process, or null: no Redis call. Closes the gap where a
     * request looked up just before another one stored the answer.
     */
    public CachedResponse localFresh(String base, UnaryOperator<String> requestHeader, String user) {
        if (!(local.getIfPresent(base + "#vary") instanceof Variants variants)) {
            return null;
        }
        Object held = local.getIfPresent(key(base, variants, requestHeader, user));
        return held instanceof CachedResponse entry && entry.fresh(System.currentTimeMillis()) && entry.visibleTo(user)
                ? entry : null;
    }

    public Uni<Variants> variants(String base) {
        return read(base + "#vary", Variants.class, Variants::fromJson);
    }

    public Uni<CachedResponse> get(String key) {
        return read(key, CachedResponse.class, CachedResponse::fromJson);
    }

    private <T> Uni<T> read(String key, Class<T> type, java.util.function.Function<String, T> decode) {
        Object held = local.getIfPresent(key);
        if (type.isInstance(held)) {
            return Uni.createFrom().item(type.cast(held));
        }
        return pipeline.send(Request.cmd(Command.GET).arg(PREFIX + key))
                .map(json -> {
                    if (json == null) {
                        return null;
                    }
                    T value = decode.apply(json.toString());
                    local.put(key, value);
                    return value;
                })
                .onFailure().recoverWithItem(e -> {
                    LOG.debugf("cache read of %s failed: %s", key, e);
                    return null;
                });
    }

    /** Stores in both tiers; Redis keeps the answer as long as it may be served, stale included. */
    public void put(String base, Variants variants, String key, CachedResponse response) {
        long lifetime = Math.max(1, response.staleUntil() - System.currentTimeMillis());
        // the answer before its variants: a reader that finds the variants (it reads them first) finds the answer
        local.put(key, response);
        local.put(base + "#vary", variants);
        pipeline.send(Request.cmd(Command.SET).arg(PREFIX + key).arg(response.toJson()).arg("PX").arg(lifetime))
                .chain(() -> pipeline.send(Request.cmd(Command.SET).arg(PREFIX + base + "#vary")
                        .arg(variants.toJson()).arg("PX").arg(Math.max(lifetime, 60_000))))
                .subscribe().with(ok -> { }, e -> LOG.debugf("cache store of %s skipped: %s", key, e));
    }

    /**
     * Forgets every stored answer for a path, whatever its query and variants, or, with {@code prefix}, for every
     * path and query starting with it. Other instances drop their in-process copies within the local TTL. Answers how
     * many Redis keys went (stored answers and the lists of their variants).
     */
    public Uni<Long> purge(String path, boolean prefix) {
        local.asMap().keySet().removeIf(key -> prefix ? key.startsWith(path)
                : key.startsWith(path + "#") || key.startsWith(path + "?"));
        String pattern = PREFIX + escapeGlob(path) + (prefix ? "*" : "[#?]*");
        var keys = redis.key();
        // SCAN walks one node of a cluster; KEYS the Vert.x cluster client sends to every master and joins. The cache
        // Redis has a memory limit, so KEYS holds each node only briefly.
        Multi<String> matching = cluster
                ? keys.keys(pattern).onItem().transformToMulti(found -> Multi.createFrom().iterable(found))
                : keys.scan(new KeyScanArgs().match(pattern).count(1000)).toMulti();
        return matching
                .group().intoLists().of(500)
                .onItem().transformToUniAndConcatenate(batch -> keys.del(batch.toArray(String[]::new)))
                .collect().with(Collectors.summingLong(Integer::longValue));
    }

    private static String escapeGlob(String text) {
        return text.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
