package dev.meridian.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

import static dev.meridian.inference.InferenceApi.MODEL;
import static dev.meridian.inference.InferenceApi.vectors;
import static dev.meridian.inference.JobsTest.FP32;
import static dev.meridian.inference.JobsTest.WAIT;
import static dev.meridian.inference.JobsTest.as;
import static dev.meridian.inference.JobsTest.token;
import static dev.meridian.inference.JobsTest.tokenOfTier;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI Batch API over HTTP, as OpenAI documents its files, lines and statuses, with the real models. */
@QuarkusTest
class BatchApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static String line(String customId, Map<String, Object> body) {
        try {
            return JSON.writeValueAsString(Map.of("custom_id", customId, "method", "POST", "url", "/v1/embeddings",
                    "body", body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Response upload(String token, String content) {
        return given().header("Authorization", "Bearer " + token)
                .multiPart("file", "requests.jsonl", content.getBytes(StandardCharsets.UTF_8), "application/jsonl")
                .multiPart("purpose", "batch").post("/v1/files");
    }

    static String uploaded(UUID user, String content) {
        return upload(token(user), content).then().statusCode(200).body("object", equalTo("file"))
                .body("purpose", equalTo("batch")).body("bytes", equalTo(content.getBytes(StandardCharsets.UTF_8).length))
                .extract().path("id");
    }

    static Response createBatch(UUID user, String fileId) {
        return as(user).body(Map.of("input_file_id", fileId, "endpoint", "/v1/embeddings", "completion_window", "24h",
                "metadata", Map.of("purpose", "test"))).post("/v1/batches");
    }

    static Response awaitBatch(UUID user, String id, String status) {
        await().atMost(WAIT).until(() -> status.equals(as(user).get("/v1/batches/" + id).path("status")));
        return as(user).get("/v1/batches/" + id);
    }

    static List<JsonNode> lines(UUID user, String fileId) throws Exception {
        String content = as(user).get("/v1/files/" + fileId + "/content").then().statusCode(200).extract().asString();
        int bytes = as(user).get("/v1/files/" + fileId).then().statusCode(200).extract().path("bytes");
        assertEquals(bytes, content.getBytes(StandardCharsets.UTF_8).length, "the file's bytes are its content's");
        List<JsonNode> lines = new ArrayList<>();
        for (String line : content.split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }

    @Test
    void aBatchRunsItsValidLinesAsOneJobAndAnswersLikeTheEndpointForEveryLine() throws Exception {
        UUID user = UUID.randomUUID();
        String first = "the first request of a batch " + UUID.randomUUID();
        List<String> pair = List.of("a second request, two inputs", "its second input");
        String content = String.join("\n",
                line("one", Map.of("model", FP32, "input", first)),
                line("too-long", Map.of("model", FP32, "input", "word ".repeat(300))),
                line("two", Map.of("model", FP32, "input", pair, "encoding_format", "base64")),
                line("bad-format", Map.of("model", FP32, "input", "x", "encoding_format", "int8")),
                line("cut", Map.of("model", FP32, "input", "word ".repeat(300), "truncate", true))) + "\n";
        String fileId = uploaded(user, content);
        as(user).get("/v1/files/" + fileId).then().statusCode(200).body("filename", equalTo("requests.jsonl"));
        assertEquals(content, as(user).get("/v1/files/" + fileId + "/content").asString());

        String batchId = createBatch(user, fileId).then().statusCode(200).body("object", equalTo("batch"))
                .body("endpoint", equalTo("/v1/embeddings")).body("input_file_id", equalTo(fileId))
                .body("completion_window", equalTo("24h")).body("model", equalTo(FP32))
                .body("metadata.purpose", equalTo("test"))
                .body("request_counts.total", equalTo(5)).body("request_counts.failed", equalTo(2))
                .extract().path("id");
        Response done = awaitBatch(user, batchId, "completed");
        done.then().body("request_counts.completed", equalTo(3)).body("request_counts.failed", equalTo(2))
                .body("completed_at", notNullValue()).body("errors", nullValue());

        List<JsonNode> output = lines(user, done.path("output_file_id"));
        assertEquals(List.of("one", "two", "cut"), output.stream().map(l -> l.get("custom_id").asText()).toList());
        Map<String, JsonNode> byId = output.stream().collect(Collectors.toMap(l -> l.get("custom_id").asText(), l -> l));
        for (JsonNode line : output) {
            assertEquals(200, line.at("/response/status_code").asInt());
            assertTrue(line.get("id").asText().startsWith("batch_req_"));
            assertTrue(line.get("error").isNull());
            assertEquals(FP32, line.at("/response/body/model").asText());
        }
        // the same vectors and token counts as the synchronous endpoint (fp32: bit for bit)
        Response one = InferenceApi.embed(Map.of("model", FP32, "input", first));
        assertArrayEquals(vectors(one).get(0), floats(byId.get("one").at("/response/body/data/0/embedding")));
        assertEquals((int) one.path("usage.prompt_tokens"), byId.get("one").at("/response/body/usage/prompt_tokens").asInt());
        List<float[]> two = vectors(InferenceApi.embed(Map.of("model", FP32, "input", pair)));
        for (int i = 0; i < 2; i++) {
            byte[] bytes = Base64.getDecoder().decode(byId.get("two").at("/response/body/data/" + i + "/embedding").asText());
            float[] decoded = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(decoded);
            assertArrayEquals(two.get(i), decoded);
            assertEquals(i, byId.get("two").at("/response/body/data/" + i + "/index").asInt());
        }
        Response cut = InferenceApi.embed(Map.of("model", FP32, "input", "word ".repeat(300), "truncate", true));
        assertArrayEquals(vectors(cut).get(0), floats(byId.get("cut").at("/response/body/data/0/embedding")));
        assertEquals(256, byId.get("cut").at("/response/body/usage/prompt_tokens").asInt());

        // refused lines: the status and error /v1/embeddings answers them with
        List<JsonNode> errors = lines(user, done.path("error_file_id"));
        assertEquals(List.of("too-long", "bad-format"), errors.stream().map(l -> l.get("custom_id").asText()).toList());
        assertEquals(400, errors.get(0).at("/response/status_code").asInt());
        assertEquals("context_length_exceeded", errors.get(0).at("/response/body/error/code").asText());
        assertEquals(as(user).body(Map.of("model", FP32, "input", "x", "encoding_format", "int8"))
                        .post("/v1/embeddings").then().statusCode(400).extract().path("error.code"),
                errors.get(1).at("/response/body/error/code").asText());
        assertEquals("encoding_format", errors.get(1).at("/response/body/error/param").asText());

        // the batch's files are listed with the upload, newest first
        as(user).get("/v1/files?purpose=batch_output").then().statusCode(200).body("data", hasSize(2));
        as(user).get("/v1/files").then().body("data", hasSize(3)).body("data[2].id", equalTo(fileId));
    }

    @Test
    void eachLineGetsItsOwnInputTypesPrompt() throws Exception {
        UUID user = UUID.randomUUID();
        String e5 = "e5-small-v2";
        String text = "how do batteries store energy " + UUID.randomUUID();
        String fileId = uploaded(user, line("q", Map.of("model", e5, "input", text, "input_type", "query")) + "\n"
                + line("d", Map.of("model", e5, "input", text, "input_type", "document")) + "\n"
                + line("plain", Map.of("model", e5, "input", text)) + "\n");
        String batchId = createBatch(user, fileId).then().statusCode(200).extract().path("id");
        Map<String, float[]> got = new HashMap<>();
        for (JsonNode line : lines(user, awaitBatch(user, batchId, "completed").path("output_file_id"))) {
            got.put(line.get("custom_id").asText(), floats(line.at("/response/body/data/0/embedding")));
        }
        for (String type : List.of("query", "document")) {
            float[] direct = vectors(as(user).body(Map.of("model", e5, "input", text, "input_type", type))
                    .post("/v1/embeddings")).get(0);
            float[] batched = got.get(type.substring(0, 1));
            // int8 vectors move a little with their batch mates (README), a missing prompt moves them much more
            assertTrue(cosine(direct, batched) > 0.97, type + ": " + cosine(direct, batched));
            assertTrue(cosine(direct, batched) > cosine(direct, got.get("plain")) + 0.01, type + " without its prompt");
        }
    }

    @Test
    void aFileThatCannotRunFailsTheBatchNamingEveryBadLineAndStartsNothing() {
        UUID user = UUID.randomUUID();
        String content = String.join("\n",
                line("a", Map.of("model", MODEL, "input", "fine")),
                line("a", Map.of("model", MODEL, "input", "same custom_id")),
                "{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"" + MODEL + "\"}}",
                "not json at all",
                "{\"custom_id\":\"e\",\"method\":\"GET\",\"url\":\"/v1/embeddings\"}",
                line("f", Map.of("model", "e5-small-v2", "input", "another model")));
        String batchId = createBatch(user, uploaded(user, content)).then().statusCode(200)
                .body("status", equalTo("failed")).body("failed_at", notNullValue())
                .body("errors.object", equalTo("list"))
                .body("errors.data.line", equalTo(List.of(2, 3, 4, 5, 5, 6)))
                .body("errors.data.code", equalTo(List.of("duplicate_custom_id", "invalid_url", "invalid_json_line",
                        "invalid_value", "missing_required_parameter", "model_mismatch")))
                .extract().path("id");
        as(user).get("/v1/batches/" + batchId).then().body("status", equalTo("failed"));
        as(user).get("/v1/jobs").then().body("data", hasSize(0));

        String ok = uploaded(user, line("a", Map.of("input", "x")));
        as(user).body(Map.of("input_file_id", ok, "endpoint", "/v1/chat/completions", "completion_window", "24h"))
                .post("/v1/batches").then().statusCode(400).body("error.param", equalTo("endpoint"));
        as(user).body(Map.of("input_file_id", ok, "endpoint", "/v1/embeddings", "completion_window", "1h"))
                .post("/v1/batches").then().statusCode(400).body("error.param", equalTo("completion_window"));
        as(user).body(Map.of("endpoint", "/v1/embeddings", "completion_window", "24h"))
                .post("/v1/batches").then().statusCode(400).body("error.param", equalTo("input_file_id"));
        createBatch(user, uploaded(user, line("a", Map.of("model", "text-embedding-3-small", "input", "x"))))
                .then().statusCode(404).body("error.code", equalTo("model_not_found"));
        createBatch(user, "file-missing").then().statusCode(404).body("error.code", equalTo("file_not_found"));
        given().header("Authorization", "Bearer " + token(user)).multiPart("file", "x.jsonl", new byte[] {'x'})
                .multiPart("purpose", "fine-tune").post("/v1/files").then().statusCode(400)
                .body("error.param", equalTo("purpose"));
        given().header("Authorization", "Bearer " + token(user)).multiPart("purpose", "batch").post("/v1/files")
                .then().statusCode(400).body("error.param", equalTo("file"));
    }

    @Test
    void filesAndBatchesAreTheirOwnersOnly() {
        UUID owner = UUID.randomUUID();
        UUID stranger = UUID.randomUUID();
        String fileId = uploaded(owner, line("a", Map.of("model", FP32, "input", "private words")));
        String batchId = createBatch(owner, fileId).then().statusCode(200).extract().path("id");
        String outputId = awaitBatch(owner, batchId, "completed").path("output_file_id");

        for (String path : List.of("/v1/files/" + fileId, "/v1/files/" + fileId + "/content", "/v1/files/" + outputId,
                "/v1/files/" + outputId + "/content", "/v1/batches/" + batchId)) {
            as(stranger).get(path).then().statusCode(404);
        }
        as(stranger).delete("/v1/files/" + fileId).then().statusCode(404);
        as(stranger).post("/v1/batches/" + batchId + "/cancel").then().statusCode(404);
        createBatch(stranger, fileId).then().statusCode(404).body("error.param", equalTo("input_file_id"));
        as(stranger).get("/v1/files").then().body("data", hasSize(0));
        as(stranger).get("/v1/batches").then().body("data", hasSize(0));
        as(owner).delete("/v1/files/" + fileId).then().statusCode(200).body("deleted", equalTo(true));
        as(owner).get("/v1/files/" + fileId).then().statusCode(404);
        as(owner).get("/v1/batches/" + batchId).then().statusCode(200).body("status", equalTo("completed"));
    }

    /** 200 uploads at once by one user of a tier that keeps 3 files: exactly 3 are kept, whatever the interleaving. */
    @Test
    void uploadsAreBoundedPerTierEvenWhenSentAllAtOnce() throws Exception {
        UUID user = UUID.randomUUID();
        String tiny = tokenOfTier(user, "tiny");
        upload(tiny, "x".repeat(3000)).then().statusCode(413).body("error.code", equalTo("file_too_large"));
        ExecutorService clients = Executors.newFixedThreadPool(200);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Response>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String content = line("l" + i, Map.of("input", "upload " + i));
                answers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return upload(tiny, content);
                }, clients));
            }
            start.countDown();
            Map<Integer, Long> statuses = answers.stream().map(CompletableFuture::join)
                    .collect(Collectors.groupingBy(Response::statusCode, Collectors.counting()));
            assertEquals(Map.of(200, 3L, 400, 197L), statuses);
        } finally {
            clients.shutdownNow();
        }
        Response page = given().header("Authorization", "Bearer " + tiny).get("/v1/files?limit=2");
        page.then().body("data", hasSize(2)).body("has_more", equalTo(true));
        given().header("Authorization", "Bearer " + tiny).get("/v1/files?after=" + page.path("last_id")).then()
                .body("data", hasSize(1));
        upload(tiny, line("more", Map.of("input", "x"))).then().statusCode(400)
                .body("error.code", equalTo("file_limit_reached"));
        given().header("Authorization", "Bearer " + tiny).delete("/v1/files/" + page.path("first_id")).then()
                .statusCode(200);
        upload(tiny, line("more", Map.of("input", "x"))).then().statusCode(200);
    }

    @Test
    void aCancelledBatchStopsItsJobAndCannotBeCancelledTwice() {
        UUID user = UUID.randomUUID();
        StringBuilder content = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            content.append(line("r" + i, Map.of("model", FP32,
                    "input", "a long enough input to keep the model busy for a while, number " + i + " "
                            + "word ".repeat(60)))).append('\n');
        }
        String batchId = createBatch(user, uploaded(user, content.toString())).then().statusCode(200)
                .body("status", equalTo("in_progress")).extract().path("id");
        as(user).post("/v1/batches/" + batchId + "/cancel").then().statusCode(200)
                .body("status", equalTo("cancelled")).body("cancelled_at", notNullValue())
                .body("output_file_id", nullValue());
        as(user).post("/v1/batches/" + batchId + "/cancel").then().statusCode(409)
                .body("error.code", equalTo("batch_settled"));
        String jobId = as(user).get("/v1/jobs").path("data[0].id");
        as(user).get("/v1/jobs/" + jobId).then().body("status", equalTo("cancelled"));
        as(user).get("/v1/batches").then().body("data", hasSize(1)).body("data[0].status", equalTo("cancelled"));
    }

    static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).floatValue();
        }
        return values;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
