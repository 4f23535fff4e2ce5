package dev.meridian.inference;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.inference.InferenceApi.MODEL;
import static dev.meridian.inference.InferenceApi.post;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class ModelsAndSimilarityTest {

    @Test
    void modelsAreListedInOpenAisShapeWithVersionsDimensionsAndTokenLimit() {
        // the gateway may cache the listing: same for everyone, with a validator that stays put while nothing changes
        String etag = InferenceApi.authorized().get("/v1/models").then().statusCode(200)
                .header("Cache-Control", "public, max-age=30").extract().header("ETag");
        assertTrue(etag.startsWith("W/\""), etag);
        InferenceApi.authorized().get("/v1/models").then().header("ETag", etag)
                .body("object", equalTo("list"))
                .body("data.id", containsInAnyOrder(MODEL, "bge-small-en-v1.5", "e5-small-v2"))
                .body("data[0].id", equalTo(MODEL)) // the default model first
                .body("data[0].object", equalTo("model"))
                .body("data[0].owned_by", equalTo("meridian"))
                .body("data[0].dimensions", equalTo(384))
                .body("data[0].max_tokens", equalTo(256))
                .body("data[0].default_version", equalTo("int8"))
                .body("data[0].versions.version", contains("int8", "fp32"))
                .body("data[0].versions.model", contains(MODEL + ":int8", MODEL + ":fp32"))
                .body("data[0].versions.traffic_percent", contains(70, 30));

        InferenceApi.authorized().get("/v1/models/" + MODEL + ":fp32").then().statusCode(200).body("id", equalTo(MODEL));
        InferenceApi.authorized().get("/v1/models/gpt-4").then().statusCode(404)
                .body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("model"));
        given().get("/v1/nothing-here").then().statusCode(404).body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void endUsersAreSplitBetweenVersionsByTheConfiguredShareAndStayOnTheirs() {
        int onFp32 = 0;
        for (int i = 0; i < 1000; i++) {
            String version = InferenceApi.embed(Map.of("input", "a/b", "user", "end-user-" + i))
                    .then().statusCode(200).extract().path("model");
            if (version.equals(MODEL + ":fp32")) {
                onFp32++;
            }
        }
        assertTrue(onFp32 >= 250 && onFp32 <= 350, "30% +-5% of 1000 users on fp32, got " + onFp32);

        for (int i = 0; i < 20; i++) {
            String user = "sticky-" + i;
            String first = InferenceApi.embed(Map.of("input", "a/b", "user", user)).path("model");
            for (int repeat = 0; repeat < 3; repeat++) {
                assertEquals(first, InferenceApi.embed(Map.of("input", "a/b " + repeat, "user", user)).path("model"));
            }
        }
        // without a 'user' field the split follows the caller (the token's subject), on every endpoint alike
        for (int i = 0; i < 20; i++) {
            UUID caller = UUID.randomUUID();
            String first = JobsTest.as(caller).body(Map.of("input", "a/b")).post("/v1/embeddings").path("model");
            for (int repeat = 0; repeat < 3; repeat++) {
                assertEquals(first, JobsTest.as(caller).body(Map.of("source", "a/b", "candidates", List.of("x")))
                        .post("/v1/similarity").path("model"));
            }
        }
        // naming the version is never split
        InferenceApi.embed(Map.of("input", "a/b", "user", "end-user-1", "model", MODEL + ":int8"))
                .then().body("model", equalTo(MODEL + ":int8"));
    }

    @Test
    void similarityScoresTheCloseParaphraseHighest() {
        List<Float> scores = post("/v1/similarity", Map.of("model", MODEL,
                "source", "A man is eating food.",
                "candidates", List.of("A man is riding a horse.", "A man is eating a piece of bread.",
                        "The stock market fell sharply today.")))
                .then().statusCode(200)
                .body("object", equalTo("list"))
                .body("data.index", contains(0, 1, 2))
                .body("usage.prompt_tokens", greaterThan(10))
                .extract().path("data.score");
        assertTrue(scores.get(1) > scores.get(0) && scores.get(0) > scores.get(2), scores.toString());
        assertTrue(scores.get(1) > 0.6, "a paraphrase scores high: " + scores);
    }

    @Test
    void classifyRanksLabelsWithProbabilitiesThatSumToOne() {
        List<Float> probabilities = post("/v1/classify", Map.of(
                "input", "The striker scored twice in the second half and the crowd went wild.",
                "labels", List.of("cooking", "football", "computer programming")))
                .then().statusCode(200)
                .body("object", equalTo("classification"))
                .body("labels[0].label", equalTo("football"))
                .extract().path("labels.score");
        assertEquals(1.0, probabilities.stream().mapToDouble(Float::doubleValue).sum(), 1e-5);
        assertTrue(probabilities.get(0) > probabilities.get(1));
    }

    @Test
    void similarityAndClassifyNameTheBadField() {
        post("/v1/similarity", Map.of("source", "x", "candidates", List.of())).then().statusCode(400)
                .body("error.param", equalTo("candidates"));
        post("/v1/similarity", Map.of("candidates", List.of("a"))).then().statusCode(400)
                .body("error.param", equalTo("source"));
        post("/v1/classify", Map.of("input", "x", "labels", List.of("a", ""))).then().statusCode(400)
                .body("error.param", equalTo("labels[1]"));
        post("/v1/classify", Map.of("input", "x", "labels", "a")).then().statusCode(400)
                .body("error.param", equalTo("labels"));
        post("/v1/similarity", Map.of("source", "x", "candidates", List.of("a"), "model", "nope")).then().statusCode(404);
        post("/v1/similarity", Map.of("source", "x", "candidates", List.of("a"), "top_k", 3)).then().statusCode(400)
                .body("error.param", equalTo("top_k"));
        post("/v1/similarity", Map.of("source", "x", "candidates", List.of("a", "word ".repeat(300)))).then()
                .statusCode(400).body("error.code", equalTo("context_length_exceeded"))
                .body("error.param", equalTo("candidates[1]"));
    }

    @Test
    void scoresAreCosineSimilaritiesOfTheEmbeddings() {
        List<List<Float>> vectors = InferenceApi.embed(Map.of("input", List.of("red apple", "green pear")))
                .then().statusCode(200).extract().path("data.embedding");
        double cosine = EmbeddingApiTest.dot(InferenceApi.toFloats(List.copyOf(vectors.get(0))),
                InferenceApi.toFloats(List.copyOf(vectors.get(1))));
        float score = post("/v1/similarity", Map.of("source", "red apple", "candidates", List.of("green pear")))
                .then().statusCode(200).extract().path("data[0].score");
        assertEquals(cosine, score, 1e-5);
    }
}
