package dev.meridian.inference.embedding.service;

import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.embedding.Vectors;
import dev.meridian.inference.model.ModelVersion;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.client.RedisClientName;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.keys.ReactiveKeyCommands;
import io.quarkus.redis.datasource.set.ReactiveSetCommands;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Vectors in the cache Redis (the Quarkus Redis client named {@value #REDIS_CLIENT}, {@code quarkus.redis.cache.*}),
 * one key per input: a hash of model id, version and the exact token ids the model sees (so text and token input, and
 * truncation, key correctly). Values are raw float32 little-endian. Vectors are cache, so they stay out of the state
 * Redis (deny-list, rate limits, tokens), which never evicts: a large embedding workload there would fill it until it
 * refused state writes. The cache Redis evicts least recently used keys instead. Redis being slow or down never fails
 * a request: lookups past the timeout count as misses and writes are best effort.
 */
@ApplicationScoped
public class EmbeddingCache {

    /** The Quarkus Redis client of the cache Redis. */
    public static final String REDIS_CLIENT = "cache";

    private static final Logger LOG = Logger.getLogger(EmbeddingCache.class);

    private final Redis bareRedis;
    private final ReactiveValueCommands<String, byte[]> values;
    private final ReactiveSetCommands<String, String> sets;
    private final ReactiveKeyCommands<String> keys;
    private final InferenceConfig.Cache config;
    private final MeterRegistry meters;
    private final boolean cluster;

    public EmbeddingCache(@RedisClientName(REDIS_CLIENT) ReactiveRedisDataSource redis, InferenceConfig config,
                          MeterRegistry meters,
                          @ConfigProperty(name = "quarkus.redis." + REDIS_CLIENT + ".client-type",
                                  defaultValue = "standalone") String clientType) {
        this.bareRedis = redis.getRedis().getDelegate();
        this.values = redis.value(byte[].class);
        this.sets = redis.set(String.class);
        this.keys = redis.key();
        this.config = config.cache();
        this.meters = meters;
        this.cluster = "cluster".equalsIgnoreCase(clientType);
    }

    public static String key(ModelVersion model, long[] ids) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer bytes = ByteBuffer.allocate(ids.length * Integer.BYTES);
        for (long id : ids) {
            bytes.putInt((int) id);
        }
        sha.update(bytes.array());
        return "meridian:emb:v1:" + model.qualifiedName() + ":"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
    }

    /** The cached vectors among keys (absent = miss). */
    public Uni<Map<String, float[]>> getAll(ModelVersion model, List<String> keys) {
        if (!config.enabled() || keys.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return (cluster ? getEach(keys) : values.mget(keys.toArray(String[]::new)))
                .ifNoItem().after(config.timeout()).fail()
                .map(found -> {
                    Map<String, float[]> hits = new HashMap<>();
                    found.forEach((key, value) -> {
                        if (value != null && value.length == model.config().dimensions() * Float.BYTES) {
                            hits.put(key, Vectors.fromBytes(value));
                        }
                    });
                    count(model, "hit", hits.size());
                    count(model, "miss", keys.size() - hits.size());
                    return hits;
                })
                .onFailure().recoverWithItem(e -> {
                    LOG.debugf("embedding cache unavailable, serving from the model: %s", e.toString());
                    count(model, "error", keys.size());
                    return Map.of();
                });
    }

    /**
     * On Redis Cluster one GET per key, pipelined on one connection: the Vert.x cluster client splits a cross-slot MGET
     * by slot but joins the answers in no particular order, so a vector would come back under another input's key.
     */
    private Uni<Map<String, byte[]>> getEach(List<String> keys) {
        return onOneConnection(keys.stream().map(key -> Request.cmd(Command.GET).arg(key)).toList()).map(answers -> {
            Map<String, byte[]> found = new HashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                if (answers.get(i) != null) {
                    found.put(keys.get(i), answers.get(i).toBytes());
                }
            }
            return found;
        });
    }

    /**
     * Commands pipelined on one connection (on a cluster, each goes to its node), which returns to the pool once they
     * are answered even if the caller stopped waiting: a Mutiny {@code connect()} cancelled by a timeout would leak it.
     */
    private Uni<List<Response>> onOneConnection(List<Request> requests) {
        return Uni.createFrom().completionStage(() -> bareRedis.connect()
                .compose(connection -> Future.all(requests.stream().map(connection::send).toList())
                        .andThen(done -> connection.close()))
                .map(all -> all.<Response>list())
                .toCompletionStage());
    }

    /**
     * Best effort, but awaited (bounded by the cache timeout), so an acknowledged vector is in the cache for the next
     * request; a failed write only costs a later recomputation.
     */
    public Uni<Void> putAll(Map<String, float[]> vectors) {
        if (!config.enabled() || vectors.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        long ttl = config.ttl().toSeconds();
        return onOneConnection(vectors.entrySet().stream().map(e -> Request.cmd(Command.SETEX).arg(e.getKey()).arg(ttl)
                        .arg(Buffer.buffer(Vectors.toBytes(e.getValue())))).toList())
                .ifNoItem().after(config.timeout()).fail()
                .replaceWithVoid()
                .onFailure().recoverWithItem(e -> {
                    LOG.debugf("embedding cache write skipped: %s", e.toString());
                    return null;
                });
    }

    /**
     * Records that these entries hold the user's inputs (a set per user, living as long as its newest entry), so
     * erasing the user can delete them. Best effort like every cache write; no user, nothing recorded. The set lives in
     * the cache Redis too, so it may be evicted (least recently used) before its entries: erasing the user then
     * deletes fewer of them, and the rest expire within the cache TTL, the same bound as when Redis is down at erasure.
     */
    public Uni<Void> remember(String owner, List<String> entries) {
        if (!config.enabled() || owner == null || entries.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String set = ownerKey(owner);
        return sets.sadd(set, entries.toArray(String[]::new))
                .flatMap(added -> keys.expire(set, config.ttl().toSeconds()))
                .ifNoItem().after(config.timeout()).fail()
                .replaceWithVoid()
                .onFailure().recoverWithItem(e -> {
                    LOG.debugf("embedding cache owner record skipped: %s", e.toString());
                    return null;
                });
    }

    /** Deletes every entry recorded for the user, and the record. Entries other users share are simply recomputed. */
    public Uni<Integer> forget(String owner) {
        String set = ownerKey(owner);
        return sets.smembers(set).flatMap(entries -> {
            List<String> all = new ArrayList<>(entries);
            all.add(set);
            List<List<String>> chunks = new ArrayList<>();
            for (int i = 0; i < all.size(); i += 1000) { // keep each DEL short: Redis runs one command at a time
                chunks.add(all.subList(i, Math.min(all.size(), i + 1000)));
            }
            return Multi.createFrom().iterable(chunks)
                    .onItem().transformToUniAndConcatenate(chunk -> keys.del(chunk.toArray(String[]::new)))
                    .collect().with(Collectors.summingInt(Integer::intValue));
        });
    }

    private static String ownerKey(String owner) {
        return "meridian:emb-owner:v1:" + owner;
    }

    private void count(ModelVersion model, String result, int n) {
        if (n > 0) {
            meters.counter("meridian.inference.cache.requests", "model", model.config().id(),
                    "version", model.config().version(), "result", result).increment(n);
        }
    }
}
