package dev.meridian.inference;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.inference.JobsTest.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /v1/rerank in the shape Cohere's, Jina's and TEI's clients send, scored as a bi-encoder and saying so. */
@QuarkusTest
class RerankTest {

    private static final String QUERY = "How do I bake bread at home?";
    private static final List<Object> DOCUMENTS = List.of(
            "The stock market fell sharply on Tuesday.",
            Map.of("text", "Knead the dough, let it rise for an hour, then bake it at 220 degrees."),
            "Cats sleep for most of the day.",
            Map.of("text", "A sourdough loaf needs flour, water, salt and a starter."));

    private final UUID user = UUID.randomUUID();

    @Test
    void documentsComeBackBestFirstWithTheirIndexAndScore() {
        JsonPath all = as(user).body(Map.of("query", QUERY, "documents", DOCUMENTS, "return_documents", true))
                .post("/v1/rerank").then().statusCode(200)
                .body("scoring", equalTo("bi-encoder")).body("results", hasSize(4))
                .extract().jsonPath();
        List<Integer> order = all.getList("results.index", Integer.class);
        assertEquals(List.of(1, 3), order.subList(0, 2).stream().sorted().toList(), "baking first: " + order);
        List<Double> scores = all.getList("results.relevance_score", Double.class);
        for (int i = 1; i < scores.size(); i++) {
            assertTrue(scores.get(i - 1) >= scores.get(i), "not sorted: " + scores);
        }
        assertEquals("Cats sleep for most of the day.",
                all.getString("results.find { it.index == 2 }.document.text"));
        assertEquals(((Map<?, ?>) DOCUMENTS.get(1)).get("text"), all.getString("results.find { it.index == 1 }.document.text"));

        // top_n keeps the best ones with the same scores; without return_documents no text comes back
        as(user).body(Map.of("query", QUERY, "documents", DOCUMENTS, "top_n", 2)).post("/v1/rerank").then()
                .statusCode(200).body("results", hasSize(2))
                .body("results[0].index", equalTo(order.get(0))).body("results[1].index", equalTo(order.get(1)))
                .body("results[0]", not(hasKey("document")));
        as(user).body(Map.of("query", QUERY, "documents", DOCUMENTS, "top_n", 50)).post("/v1/rerank").then()
                .statusCode(200).body("results", hasSize(4));
    }

    @Test
    void itIsBilledAsTheEmbeddingsOfQueryAndDocumentsWouldBe() {
        List<String> texts = List.of(QUERY, "The stock market fell sharply on Tuesday.", "Cats sleep.");
        int rerank = as(user).body(Map.of("query", texts.get(0), "documents", texts.subList(1, 3)))
                .post("/v1/rerank").then().statusCode(200).extract().path("usage.prompt_tokens");
        int embeddings = as(user).body(Map.of("input", texts)).post("/v1/embeddings").then().statusCode(200)
                .extract().path("usage.prompt_tokens");
        assertEquals(embeddings, rerank);
    }

    @Test
    void theModelsListSaysHowRerankScores() {
        as(user).get("/v1/models").then().statusCode(200).body("data[0].rerank", equalTo("bi-encoder"));
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        as(user).body(Map.of("documents", DOCUMENTS)).post("/v1/rerank").then().statusCode(400)
                .body("error.param", equalTo("query"));
        as(user).body(Map.of("query", QUERY, "documents", List.of())).post("/v1/rerank").then().statusCode(400)
                .body("error.param", equalTo("documents"));
        as(user).body(Map.of("query", QUERY, "documents", List.of("ok", Map.of("title", "no text")))).post("/v1/rerank")
                .then().statusCode(400).body("error.param", equalTo("documents[1]"));
        as(user).body(Map.of("query", QUERY, "documents", List.of("ok", 3))).post("/v1/rerank")
                .then().statusCode(400).body("error.param", equalTo("documents[1]"));
        as(user).body(Map.of("query", QUERY, "documents", DOCUMENTS, "top_n", 0)).post("/v1/rerank").then()
                .statusCode(400).body("error.param", equalTo("top_n"));
        as(user).body(Map.of("query", QUERY, "documents", Collections.nCopies(10_000, "x"))).post("/v1/rerank").then()
                .statusCode(400).body("error.code", equalTo("too_many_inputs"));
    }
}
