import ai.onnxruntime.OrtEnvironment;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.meridian.inference.model.ModelTokenizer;
import dev.meridian.inference.model.OnnxEmbedder;
import dev.meridian.inference.model.Pooling;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * In-process peers of the service benchmark, on the same sentences:
 *   sentences FILE         writes the benchmark sentences (deterministic)
 *   raw FILE SECONDS       (a) ONNX Runtime directly: batches of 32, length-sorted, our pooling
 *   langchain4j FILE SECS  (c) langchain4j embedAll, what quarkus-langchain4j users get
 *   token KEY.pem          an access token the service started with the tests' JWKS accepts
 *   memory [ARTIFACT...]   resident memory once these models are loaded and warmed up as the service does (run
 *                          with a fixed, pre-touched heap, so differences between runs are the models')
 * Prints embeddings/s and p50/p99 latency per call of 32 sentences.
 */
public class InferenceBench {

    private static final String[] WORDS = ("the a model gateway request user token river mountain quick brown fox "
            + "jumps over lazy dog embedding vector search engine query database cache latency batch queue stream "
            + "service event kafka redis postgres tracing metric dashboard alert budget forecast invoice customer "
            + "order shipment weather forecast football match score goal team player coach season").split(" ");

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "sentences" -> Files.write(Path.of(args[1]), sentences(2048));
            case "raw" -> raw(Files.readAllLines(Path.of(args[1])), Integer.parseInt(args[2]));
            case "langchain4j" -> langchain4j(Files.readAllLines(Path.of(args[1])), Integer.parseInt(args[2]));
            case "token" -> System.out.println(token(Path.of(args[1])));
            case "memory" -> memory(List.of(args).subList(1, args.length));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** An hour's access token of a pro user, signed with the key the service is started to trust (the tests' key). */
    static String token(Path signingKey) throws Exception {
        return io.smallrye.jwt.build.Jwt.issuer("https://meridian.dev/user-service")
                .subject(java.util.UUID.randomUUID().toString()).audience("meridian")
                .groups(java.util.Set.of("user")).claim("tier", "pro").expiresIn(3600)
                .jws().keyId("test-key")
                .sign(io.smallrye.jwt.util.KeyUtils.decodePrivateKey(Files.readString(signingKey)));
    }

    /** pooling and longest input of the service's models (application.properties), by ONNX artifact. */
    private static final Map<String, Object[]> SERVED = Map.of(
            "all-minilm-l6-v2-q.onnx", new Object[]{Pooling.Mode.MEAN, 256},
            "all-minilm-l6-v2.onnx", new Object[]{Pooling.Mode.MEAN, 256},
            "bge-small-en-v1.5-q.onnx", new Object[]{Pooling.Mode.CLS, 512},
            "e5-small-v2-q.onnx", new Object[]{Pooling.Mode.MEAN, 512});

    /** Loads and warms up the given models as the service does, then prints the process' resident memory. */
    static void memory(List<String> artifacts) throws Exception {
        OrtEnvironment.getEnvironment(); // the runtime itself, also when no model is loaded
        List<OnnxEmbedder> loaded = new ArrayList<>(); // held, so every session counts until the end
        for (String artifact : artifacts) {
            Object[] model = SERVED.get(artifact);
            int longest = (int) model[1];
            OnnxEmbedder embedder = new OnnxEmbedder(artifact, 384, (Pooling.Mode) model[0],
                    Runtime.getRuntime().availableProcessors(), false, false);
            // MicroBatcher's warm-up: as many rows of the longest input as 8192 padded tokens allow, at most 32
            embedder.run(Collections.nCopies(Math.min(32, 8192 / longest), new long[longest]));
            loaded.add(embedder);
        }
        System.out.println(rssMb() + " MB resident with " + (artifacts.isEmpty() ? "no model" : artifacts));
    }

    private static long rssMb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    static List<String> sentences(int n) {
        Random random = new Random(42);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int words = 5 + random.nextInt(36);
            StringBuilder s = new StringBuilder("Sentence " + i + ":");
            for (int w = 0; w < words; w++) {
                s.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
            }
            out.add(s.append('.').toString());
        }
        return out;
    }

    static void raw(List<String> sentences, int seconds) throws Exception {
        ModelTokenizer tokenizer = new ModelTokenizer("all-minilm-l6-v2-q-tokenizer.json", 256);
        OnnxEmbedder model = new OnnxEmbedder("all-minilm-l6-v2-q.onnx", 384, Pooling.Mode.MEAN,
                Runtime.getRuntime().availableProcessors(), false, Boolean.getBoolean("cpuArena"));
        List<long[]> tokens = new ArrayList<>();
        for (String s : sentences) {
            tokens.add(tokenizer.encode(s, false, "input").ids());
        }
        tokens.sort(Comparator.comparingInt(t -> t.length));
        run("a raw ONNX Runtime (batch 32, sorted)", seconds, sentences.size(), offset -> {
            int to = Math.min(offset + 32, tokens.size());
            model.run(tokens.subList(offset, to));
            return to - offset;
        });
    }

    static void langchain4j(List<String> sentences, int seconds) throws Exception {
        AllMiniLmL6V2QuantizedEmbeddingModel model = new AllMiniLmL6V2QuantizedEmbeddingModel();
        List<TextSegment> segments = sentences.stream().map(TextSegment::from).toList();
        run("c langchain4j embedAll (32 per call)", seconds, sentences.size(), offset -> {
            int to = Math.min(offset + 32, segments.size());
            model.embedAll(segments.subList(offset, to));
            return to - offset;
        });
    }

    interface Call {
        int run(int offset) throws Exception;
    }

    /** Warm up for a few seconds, then measure calls over the sentence set, wrapping around, for the duration. */
    static void run(String name, int seconds, int size, Call call) throws Exception {
        long warmUntil = System.nanoTime() + 3_000_000_000L;
        int offset = 0;
        while (System.nanoTime() < warmUntil) {
            offset = (offset + call.run(offset)) % size;
        }
        List<Long> latencies = new ArrayList<>();
        long items = 0;
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            int n = call.run(offset);
            latencies.add(System.nanoTime() - t0);
            items += n;
            offset = (offset + n) % size;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("%-40s %8.1f embeddings/s  p50 %6.1f ms  p99 %6.1f ms  (per call of 32)%n", name,
                items / elapsed, sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6);
    }
}
