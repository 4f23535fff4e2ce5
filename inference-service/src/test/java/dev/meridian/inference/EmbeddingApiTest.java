package dev.meridian.inference;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.meridian.inference.InferenceApi.MODEL;
import static dev.meridian.inference.InferenceApi.embed;
import static dev.meridian.inference.InferenceApi.metric;
import static dev.meridian.inference.InferenceApi.vectors;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class EmbeddingApiTest {

    static final List<String> SENTENCES = List.of(
            "This is an example sentence.",
            "Each sentence is converted into a vector.",
            "The quick brown fox jumps over the lazy dog.",
            "Meridian routes requests through one gateway.");

    /** langchain4j runs the same ONNX files through its own tokenizer and pooling code: an independent reference. */
    static EmbeddingModel referenceInt8;
    static EmbeddingModel referenceFp32;

    @BeforeAll
    static void references() {
        referenceInt8 = new AllMiniLmL6V2QuantizedEmbeddingModel();
        referenceFp32 = new AllMiniLmL6V2EmbeddingModel();
    }

    static float[] reference(EmbeddingModel model, String text) {
        return model.embed(text).content().vector();
    }

    /**
     * fp32 is exact under any batching. int8 quantizes activations dynamically over the whole batch tensor, so its
     * vectors depend slightly on their batch mates: exact when run alone, and as close to fp32 in a batch as alone.
     */
    @Test
    void eachCallIsTimedUnderTheGenAiSemanticConventions() {
        String series = "gen_ai_server_request_duration_seconds_count";
        String operation = "gen_ai_operation_name=\"embeddings\"";
        String model = "gen_ai_request_model=\"" + MODEL + "\"";
        double before = metric(series, operation, model);
        embed(Map.of("input", List.of("timed " + UUID.randomUUID(), "and timed again"))).then().statusCode(200);
        assertEquals(before + 1, metric(series, operation, model), "one request, one timed operation");
    }

    @Test
    void vectorsMatchTheReferenceImplementationForBothVersions() {
        // Texts new to the cache, so every vector here is computed now, in the batch shape the test names.
        String run = UUID.randomUUID().toString();
        List<String> batched = SENTENCES.stream().map(s -> s + " (batch " + run + ")").toList();
        List<float[]> fp32 = vectors(embed(Map.of("model", MODEL + ":fp32", "input", batched)));
        List<float[]> int8Batched = vectors(embed(Map.of("model", MODEL, "input", batched)));
        for (int i = 0; i < SENTENCES.size(); i++) {
            String alone = SENTENCES.get(i) + " (alone " + run + ")";
            float[] int8Alone = vectors(embed(Map.of("model", MODEL + ":int8", "input", alone))).get(0);
            assertArrayEquals(reference(referenceInt8, alone), int8Alone, 1e-3f, alone);
            assertEquals(384, fp32.get(i).length);
            assertArrayEquals(reference(referenceFp32, batched.get(i)), fp32.get(i), 1e-3f, batched.get(i));
            assertEquals(1.0, dot(int8Alone, int8Alone), 1e-4, "unit length");
            double agreement = dot(int8Batched.get(i), fp32.get(i));
            assertTrue(agreement > 0.97 && agreement < 0.99999, "two real versions: close, not identical: " + agreement);
            assertTrue(dot(int8Batched.get(i), reference(referenceInt8, batched.get(i))) > 0.97, batched.get(i));
        }
    }

    @Test
    void theResponseHasOpenAisShapeAndNamesTheVersionThatRan() {
        embed(Map.of("model", MODEL, "input", "hello world"))
                .then().statusCode(200)
                .body("object", equalTo("list"))
                .body("model", equalTo(MODEL + ":int8"))
                .body("data[0].object", equalTo("embedding"))
                .body("data[0].index", equalTo(0))
                .body("usage.prompt_tokens", equalTo(4)) // [CLS] hello world [SEP]
                .body("usage.total_tokens", equalTo(4));
    }

    @Test
    void base64DecodesToTheSameFloatsAsTheFloatFormat() {
        List<float[]> floats = vectors(embed(Map.of("input", SENTENCES.subList(0, 2))));
        List<String> encoded = embed(Map.of("input", SENTENCES.subList(0, 2), "encoding_format", "base64"))
                .then().statusCode(200).extract().path("data.embedding");
        for (int i = 0; i < 2; i++) {
            byte[] bytes = Base64.getDecoder().decode(encoded.get(i));
            float[] decoded = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(decoded);
            assertArrayEquals(floats.get(i), decoded, 0f);
        }
    }

    @Test
    void tokenIdsGiveTheSameVectorAsTheirText() throws Exception {
        String text = SENTENCES.get(2);
        List<Long> ids;
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-q-tokenizer.json"), Map.of())) {
            ids = Arrays.stream(tokenizer.encode(text, false, false).getIds()).boxed().toList();
        }
        float[] fromText = vectors(embed(Map.of("input", text))).get(0);
        assertArrayEquals(fromText, vectors(embed(Map.of("input", ids))).get(0), 1e-6f);
        assertArrayEquals(fromText, vectors(embed(Map.of("input", List.of(ids, ids)))).get(1), 1e-6f);
    }

    @Test
    void concurrentCallersEachGetTheirOwnVectorAndAreBatchedTogether() throws Exception {
        double batchesBefore = metric("meridian_inference_batch_size_count", "version=\"fp32\"");
        double itemsBefore = metric("meridian_inference_batch_size_sum", "version=\"fp32\"");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            texts.add("Concurrent sentence number " + i + " about " + (i % 2 == 0 ? "rivers" : "mountains") + " "
                    + "and more words ".repeat(i % 5) + UUID.randomUUID());
        }
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try {
            List<Future<float[]>> answers = new ArrayList<>();
            for (String text : texts) {
                answers.add(clients.submit(() -> vectors(embed(Map.of("model", MODEL + ":fp32", "input", text))).get(0)));
            }
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(reference(referenceFp32, texts.get(i)), answers.get(i).get(), 1e-3f, texts.get(i));
            }
        } finally {
            clients.shutdownNow();
        }
        double batches = metric("meridian_inference_batch_size_count", "version=\"fp32\"") - batchesBefore;
        double items = metric("meridian_inference_batch_size_sum", "version=\"fp32\"") - itemsBefore;
        assertEquals(48, items, 0.0, "every input ran exactly once");
        assertTrue(batches < 48, "concurrent requests shared batches: " + batches + " batches for 48 inputs");
    }

    @Test
    void aRepeatedInputIsServedFromTheCacheWithIdenticalBytes() {
        String text = "cache me " + UUID.randomUUID();
        double hitsBefore = metric("meridian_inference_cache_requests_total", "result=\"hit\"");
        double computedBefore = metric("meridian_inference_batch_size_sum", "version=\"int8\"");
        Map<String, Object> body = Map.of("input", text, "encoding_format", "base64");
        String first = embed(body).then().statusCode(200).extract().path("data[0].embedding");
        String second = embed(body).then().statusCode(200).extract().path("data[0].embedding");

        assertEquals(first, second);
        assertEquals(1, metric("meridian_inference_cache_requests_total", "result=\"hit\"") - hitsBefore, 0.0);
        assertEquals(1, metric("meridian_inference_batch_size_sum", "version=\"int8\"") - computedBefore, 0.0,
                "the model ran once");
    }

    @Test
    void cachedInputsOfOneRequestComeBackEachWithItsOwnVector() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            texts.add("input " + i + " of a batch " + UUID.randomUUID());
        }
        List<float[]> computed = vectors(embed(Map.of("input", texts)));
        // the same inputs, half cached and in another order: on Redis Cluster they span many slots
        List<String> again = new ArrayList<>(texts);
        Collections.reverse(again);
        again.add(1, "not cached yet " + UUID.randomUUID());
        double hitsBefore = metric("meridian_inference_cache_requests_total", "result=\"hit\"");
        List<float[]> served = vectors(embed(Map.of("input", again)));
        assertEquals(24, metric("meridian_inference_cache_requests_total", "result=\"hit\"") - hitsBefore, 0.0);
        for (int i = 0; i < again.size(); i++) {
            int original = texts.indexOf(again.get(i));
            if (original >= 0) {
                assertArrayEquals(computed.get(original), served.get(i), 0f, again.get(i));
            }
        }
    }

    @Test
    void identicalInputsInOneRequestAreComputedOnce() {
        String text = "twice in one request " + UUID.randomUUID();
        double computedBefore = metric("meridian_inference_batch_size_sum", "version=\"int8\"");
        List<float[]> vectors = vectors(embed(Map.of("input", List.of(text, text))));
        assertArrayEquals(vectors.get(0), vectors.get(1), 0f);
        assertEquals(1, metric("meridian_inference_batch_size_sum", "version=\"int8\"") - computedBefore, 0.0);
    }

    @Test
    void tooLongInputIsRefusedNamingTheLimitUnlessTruncationIsAsked() {
        String longText = "word ".repeat(400);
        embed(Map.of("input", List.of("short", longText)))
                .then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("context_length_exceeded"))
                .body("error.param", equalTo("input[1]"))
                .body("error.message", containsString("at most 256"));

        embed(Map.of("input", List.of("short", longText), "truncate", true))
                .then().statusCode(200)
                .body("truncated", contains(1))
                .body("usage.prompt_tokens", equalTo(3 + 256));
    }

    @Test
    void badRequestsGetOpenAiErrorsNamingTheParameter() {
        Map<Object, Object[]> cases = new HashMap<>();
        cases.put(Map.of("input", ""), new Object[]{400, "input"});
        cases.put(Map.of("input", List.of()), new Object[]{400, "input"});
        cases.put(Map.of("input", List.of("ok", 5)), new Object[]{400, "input[1]"});
        cases.put(Map.of("input", List.of(List.of(1, 2), List.of(1, "x"))), new Object[]{400, "input[1][1]"});
        cases.put(Map.of("input", 42), new Object[]{400, "input"});
        cases.put(Map.of("model", MODEL), new Object[]{400, "input"});
        cases.put(Map.of("input", List.of(999_999)), new Object[]{400, "input[0]"});
        cases.put(Map.of("input", "x", "encoding_format", "int8"), new Object[]{400, "encoding_format"});
        cases.put(Map.of("input", "x", "dimensions", 256), new Object[]{400, "dimensions"});
        cases.put(Map.of("input", "x", "temperature", 1), new Object[]{400, "temperature"});
        cases.put(Map.of("input", "x", "dimensions", "many"), new Object[]{400, "dimensions"});
        cases.put(Map.of("input", "x", "model", "text-embedding-3-small"), new Object[]{404, "model"});
        cases.put(Map.of("input", java.util.Collections.nCopies(2049, "x")), new Object[]{400, "input"});
        cases.forEach((body, expected) -> embed((Map<String, Object>) body)
                .then().statusCode((Integer) expected[0])
                .body("error.param", equalTo(expected[1]))
                .body("error.message", org.hamcrest.Matchers.not(org.hamcrest.Matchers.emptyOrNullString())));

        InferenceApi.post("/v1/embeddings", "{\"input\": [\"unterminated")
                .then().statusCode(400).body("error.type", equalTo("invalid_request_error"))
                .body("error.message", containsString("not valid JSON"));
        embed(Map.of("input", "x", "dimensions", 384)).then().statusCode(200);
    }

    @Test
    void aBodyOverTheLimitIs413InOpenAisShape() throws Exception {
        // Announced too large: refused before the body is read (a client sending it anyway sees the connection close).
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.getOutputStream().write(("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + (5 * 1024 * 1024) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(10_000);
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 413"), response);
        }
    }

    @TestHTTPResource("/")
    URL url;

    static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
