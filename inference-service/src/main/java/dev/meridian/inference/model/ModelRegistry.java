package dev.meridian.inference.model;

import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.config.InferenceConfig.ModelConfig;
import dev.meridian.inference.service.InferenceException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The served model versions, from {@code meridian.inference.models}. Each loads and warms up on its own thread, so
 * the HTTP server starts at once and readiness stays DOWN until every model is warm.
 */
@Startup
@ApplicationScoped
public class ModelRegistry {

    private final Map<String, ModelVersion> byQualifiedName = new LinkedHashMap<>();
    private final Map<String, ModelVersion> defaults = new LinkedHashMap<>();
    private final ModelVersion defaultModel;
    /** Each model's default version: the default model first, then by id (configuration maps have no order). */
    private final List<ModelVersion> listed;

    public ModelRegistry(InferenceConfig config, MeterRegistry meters, Tracer tracer) {
        InferenceConfig.Batching batching = config.batching();
        if (config.limits().maxItems() > batching.tenantQueueCapacity()
                || batching.tenantQueueCapacity() > batching.queueCapacity()) {
            // A request the queue can never hold would get 429s forever; refuse the configuration instead.
            throw new IllegalStateException("meridian.inference: limits.max-items <= batching.tenant-queue-capacity"
                    + " <= batching.queue-capacity must hold");
        }
        int threads = batching.intraOpThreads() > 0 ? batching.intraOpThreads() : Runtime.getRuntime().availableProcessors();
        MicroBatcher.Settings settings = new MicroBatcher.Settings(batching.maxBatchSize(), batching.maxBatchTokens(),
                batching.maxPaddingRatio(), batching.paddingCutMinBatch(), batching.maxWait(),
                batching.queueCapacity(), batching.tenantQueueCapacity(), batching.sortWindow(),
                batching.requestTimeout());
        for (ModelConfig model : config.models().values()) {
            if (!model.enabled()) {
                continue;
            }
            String name = model.id() + ":" + model.version();
            if (byQualifiedName.containsKey(name)) {
                throw new IllegalStateException("model " + name + " is configured twice");
            }
            if (model.maxTokens() > batching.maxBatchTokens()) {
                throw new IllegalStateException("model " + name + " takes " + model.maxTokens()
                        + " tokens, more than meridian.inference.batching.max-batch-tokens");
            }
            MicroBatcher batcher = new MicroBatcher(name, settings,
                    () -> new OnnxEmbedder(model.artifact(), model.dimensions(), model.pooling(), threads, batching.allowSpinning(),
                            batching.cpuArena()), model.maxTokens(),
                    meters, Tags.of("model", model.id(), "version", model.version()), tracer);
            ModelVersion version = new ModelVersion(model, new ModelTokenizer(model.tokenizer(), model.maxTokens()),
                    batcher);
            byQualifiedName.put(name, version);
            if (model.defaultVersion() && defaults.putIfAbsent(model.id(), version) != null) {
                throw new IllegalStateException("model " + model.id() + " has more than one default version");
            }
        }
        for (ModelVersion version : byQualifiedName.values()) {
            String id = version.config().id();
            if (!defaults.containsKey(id)) {
                throw new IllegalStateException("model " + id + " has no default version");
            }
            int split = versionsOf(id).stream().mapToInt(v -> v.config().trafficPercent()).sum();
            if (split > 100) {
                throw new IllegalStateException("the traffic-percent of " + id + "'s versions adds up to " + split);
            }
        }
        defaultModel = defaults.get(config.defaultModel());
        if (defaultModel == null) {
            throw new IllegalStateException("meridian.inference.default-model is " + config.defaultModel()
                    + ", which is not an enabled model (enabled: " + defaults.keySet() + ")");
        }
        List<ModelVersion> ordered = new ArrayList<>(defaults.values());
        ordered.sort(Comparator.comparing((ModelVersion v) -> v != defaultModel).thenComparing(v -> v.config().id()));
        listed = List.copyOf(ordered);
    }

    /**
     * Like {@link #resolve(String)}, but a bare id is split between versions by their traffic-percent, the same way
     * every time for the same end user (null: the default version).
     */
    public ModelVersion resolve(String model, String endUser) {
        ModelVersion preferred = resolve(model);
        if (endUser == null || endUser.isEmpty() || (model != null && model.contains(":"))) {
            return preferred;
        }
        int bucket = bucket(endUser);
        int upTo = 0;
        for (ModelVersion version : versionsOf(preferred.config().id())) {
            if (version == preferred) {
                continue;
            }
            upTo += version.config().trafficPercent();
            if (bucket < upTo) {
                return version;
            }
        }
        return preferred;
    }

    /** 0-99 from the first bytes of SHA-256: uniform, stable across instances and restarts. */
    static int bucket(String endUser) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(endUser.getBytes(StandardCharsets.UTF_8));
            return (int) (Integer.toUnsignedLong(ByteBuffer.wrap(hash).getInt()) % 100);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code id} (its default version) or {@code id:version}; null picks meridian.inference.default-model. */
    public ModelVersion resolve(String model) {
        if (model == null || model.isBlank()) {
            return defaultModel;
        }
        ModelVersion found = model.contains(":") ? byQualifiedName.get(model) : defaults.get(model);
        if (found == null) {
            throw InferenceException.unknownModel(model);
        }
        return found;
    }

    public Collection<ModelVersion> all() {
        return byQualifiedName.values();
    }

    /** Versions of one id, default first. */
    public List<ModelVersion> versionsOf(String id) {
        List<ModelVersion> versions = new ArrayList<>();
        ModelVersion preferred = defaults.get(id);
        if (preferred != null) {
            versions.add(preferred);
        }
        byQualifiedName.values().stream().filter(v -> v.config().id().equals(id) && v != preferred).forEach(versions::add);
        return versions;
    }

    /** Each model's default version: the default model first, then by id. */
    public List<ModelVersion> defaults() {
        return listed;
    }

    @PreDestroy
    void close() {
        for (ModelVersion version : byQualifiedName.values()) {
            version.batcher().close();
            version.tokenizer().close();
        }
    }
}
