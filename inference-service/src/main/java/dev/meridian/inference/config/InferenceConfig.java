package dev.meridian.inference.config;

import dev.meridian.inference.model.Pooling;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Models, micro-batching, request limits and the result cache, all under {@code meridian.inference}. */
@ConfigMapping(prefix = "meridian.inference")
public interface InferenceConfig {

    /** Model versions by a free key; several entries may share an id (one per version). */
    Map<String, ModelConfig> models();

    /** The model id a request without {@code model} gets; it must be enabled. */
    @WithDefault("all-minilm-l6-v2")
    String defaultModel();

    Batching batching();

    Limits limits();

    Cache cache();

    Collections collections();

    Database database();

    /** Job and collection quotas by tier (the tier comes from users.v1, or the token until that arrived); unknown tiers get free's. */
    Map<String, Quota> quotas();

    interface Database {
        /**
         * One request's (or one job step's) session or transaction on PostgreSQL, from waiting for a connection to
         * commit; past it the caller gets 503. Each statement is also cut by PostgreSQL's statement_timeout.
         */
        @WithDefault("5s")
        Duration deadline();
    }

    interface Quota {
        /** Pending plus running jobs at once. */
        int maxActiveJobs();

        int maxJobItems();

        @WithDefault("10")
        int maxCollections();

        /** Documents in one collection. */
        @WithDefault("10000")
        int maxCollectionDocuments();

        /** Size of one uploaded batch input file. */
        @WithDefault("1048576")
        long maxFileBytes();

        /** Uploaded files kept at once (a batch's output and error files do not count). */
        @WithDefault("100")
        int maxFiles();
    }

    interface ModelConfig {
        /** The id clients send as {@code model}, e.g. all-minilm-l6-v2. */
        String id();

        String version();

        /** Classpath resource of the ONNX graph. */
        String artifact();

        /** Classpath resource of the Hugging Face tokenizer.json. */
        String tokenizer();

        @WithDefault("embedding")
        String task();

        int dimensions();

        /** Longest input in tokens (special tokens included) the model is served for. */
        int maxTokens();

        /** Loaded at start; a disabled model costs no memory and is not listed. */
        @WithDefault("true")
        boolean enabled();

        /** How token vectors become one sentence vector, as the model was trained: mean (MiniLM, e5) or cls (bge). */
        @WithDefault("mean")
        Pooling.Mode pooling();

        /** Put before a text sent with {@code input_type: query} (e5's "query: ", bge's retrieval instruction). */
        Optional<String> queryPrompt();

        /** Put before a text sent with {@code input_type: document} (e5's "passage: "). */
        Optional<String> documentPrompt();

        /** The version served when a client names only the id; exactly one per id. */
        @WithDefault("false")
        boolean defaultVersion();

        /**
         * A/B split: the share (0-100) of end users who get this version when they name only the id; the default
         * version serves the rest. Users are bucketed by a hash of their id, so each keeps seeing one version.
         */
        @WithDefault("0")
        int trafficPercent();
    }

    interface Batching {
        /** A batch closes at this many items... */
        @WithDefault("32")
        int maxBatchSize();

        /** ...or when batch size x longest sequence would exceed this padded-token budget... */
        @WithDefault("8192")
        int maxBatchTokens();

        /**
         * ...or, once it holds at least {@link #paddingCutMinBatch()} items, when the next (longer) item would make
         * padded tokens exceed real tokens by this ratio: past a few items a CPU gains little from a bigger batch but
         * pays for every padding token.
         */
        @WithDefault("1.1")
        double maxPaddingRatio();

        @WithDefault("8")
        int paddingCutMinBatch();

        /** ...or when the oldest waiting item has waited this long. */
        @WithDefault("3ms")
        Duration maxWait();

        /** Items waiting per model version; beyond it requests get 429. */
        @WithDefault("8192")
        int queueCapacity();

        /**
         * Items one tenant (end user) may have waiting per model version; beyond it that tenant's requests get 429.
         * Smaller than the queue, so one tenant's backlog never leaves the others without room.
         */
        @WithDefault("4096")
        int tenantQueueCapacity();

        /** How many waiting items are sorted by length together before batches are cut. */
        @WithDefault("256")
        int sortWindow();

        /** An item not started by then is dropped and its request answered 503. */
        @WithDefault("30s")
        Duration requestTimeout();

        /** ONNX Runtime intra-op threads; 0 = available cores. */
        @WithDefault("0")
        int intraOpThreads();

        /**
         * Let ONNX Runtime's idle intra-op threads spin. Off by default: spinning threads take the cores the HTTP
         * event loops need between batches.
         */
        @WithDefault("false")
        boolean allowSpinning();

        /**
         * Keep ONNX Runtime's CPU memory arena. Off by default: the arena keeps each session's largest batch (the
         * warm-up's) for good.
         */
        @WithDefault("false")
        boolean cpuArena();
    }

    interface Limits {
        /** Inputs per request (OpenAI's limit is 2048). */
        @WithDefault("2048")
        int maxItems();

        /** Candidates or labels per similarity/classify request. */
        @WithDefault("256")
        int maxCandidates();
    }

    interface Collections {
        /** Documents per synchronous write; larger imports go through an index_documents job. */
        @WithDefault("128")
        int maxDocumentsPerRequest();

        /** Serialized size of one document's metadata object. */
        @WithDefault("8192")
        int maxMetadataBytes();

        /** Results per search. */
        @WithDefault("100")
        int maxK();

        /** Memory the in-memory search indexes may take on this instance; least recently used ones go first. */
        @WithDefault("512")
        int indexMemoryMb();

        /** An index unused this long is dropped (rebuilt from PostgreSQL on its next search). */
        @WithDefault("30m")
        Duration indexIdle();
    }

    interface Cache {
        @WithDefault("true")
        boolean enabled();

        @WithDefault("24h")
        Duration ttl();

        /** A cache slower than this is skipped for the request (served from the model). */
        @WithDefault("100ms")
        Duration timeout();
    }
}
