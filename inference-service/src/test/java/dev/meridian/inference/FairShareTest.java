package dev.meridian.inference;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static dev.meridian.inference.InferenceApi.metric;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One tenant's backlog never refuses another: A keeps three requests of 1,024 inputs coming (its share, 2,048 in the
 * tests, holds two), while B sends single inputs. B is answered every time; A's third request gets 429.
 */
@QuarkusTest
class FairShareTest {

    /** Named, so the A/B split by user cannot send a tenant to the other version's queue. */
    private static final String INT8 = InferenceApi.MODEL + ":int8";

    private static io.restassured.specification.RequestSpecification as(UUID user) {
        return given().header("Authorization", "Bearer " + JobsTest.token(user)).contentType(ContentType.JSON);
    }

    @Test
    void aTenantsBacklogNeverRefusesAnotherTenant() {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        List<CompletableFuture<Integer>> backlog = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            List<String> inputs = new ArrayList<>();
            String run = UUID.randomUUID().toString();
            for (int i = 0; i < 1024; i++) {
                inputs.add("tenant A, request " + run + ", sentence " + i + ", long enough to keep the model busy.");
            }
            backlog.add(CompletableFuture.supplyAsync(() -> as(a).body(Map.of("model", INT8, "input", inputs))
                    .post("/v1/embeddings").statusCode()));
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                .until(() -> metric("meridian_inference_queue_depth", "version=\"int8\"") > 1000);
        List<Integer> answers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            answers.add(as(b).body(Map.of("model", INT8, "input", "tenant B, sentence " + i + " " + UUID.randomUUID()))
                    .post("/v1/embeddings").statusCode());
        }
        List<Integer> backlogAnswers = backlog.stream().map(CompletableFuture::join).sorted().toList();
        assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 200, 200, 200), answers, "B's answers");
        assertEquals(List.of(200, 200, 429), backlogAnswers, "A's three requests: its share holds two");
        assertTrue(metric("meridian_inference_rejected_total", "reason=\"tenant_queue_full\"") >= 1024);
    }
}
