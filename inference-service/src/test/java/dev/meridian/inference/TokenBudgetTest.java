package dev.meridian.inference;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Work-based limits: each tier's token budget per minute and per day (the test tier "metered": 1,000 and 1,500) is
 * charged with the request's prompt tokens before the model runs, atomically, with OpenAI's rate-limit headers.
 */
@QuarkusTest
class TokenBudgetTest {

    private static Response embed(UUID user, Object input) {
        return given().header("Authorization", "Bearer " + JobsTest.tokenOfTier(user, "metered"))
                .contentType(ContentType.JSON).body(Map.of("input", input)).post("/v1/embeddings");
    }

    @Test
    void eachAnswerSaysWhatIsLeftOfTheBudget() {
        UUID user = UUID.randomUUID();
        long start = System.nanoTime();
        Response first = embed(user, "the quick brown fox jumps over the lazy dog " + UUID.randomUUID());
        first.then().statusCode(200).header("x-ratelimit-limit-tokens", "1000");
        int used = first.jsonPath().getInt("usage.prompt_tokens");
        assertEquals(1000 - used, Integer.parseInt(first.header("x-ratelimit-remaining-tokens")));
        assertTrue(first.header("x-ratelimit-reset-tokens").matches("\\d+(\\.\\d)?s|\\d+ms"),
                first.header("x-ratelimit-reset-tokens"));
        Response second = embed(user, "another sentence " + UUID.randomUUID());
        int expected = 1000 - used - second.jsonPath().getInt("usage.prompt_tokens");
        // the budget refills continuously, 1,000 tokens a minute
        double refilled = 1000 / 60.0 * (System.nanoTime() - start) / 1e9;
        int remaining = Integer.parseInt(second.header("x-ratelimit-remaining-tokens"));
        assertTrue(remaining >= expected && remaining <= expected + refilled + 1,
                remaining + " left, " + expected + " expected before " + refilled + " refilled");
    }

    @Test
    void concurrentRequestsCannotSpendMoreThanTheBudgetTogether() throws Exception {
        UUID user = UUID.randomUUID();
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            inputs.add("a sentence of about a dozen word pieces, number " + i);
        }
        ExecutorService pool = Executors.newFixedThreadPool(40);
        long start = System.nanoTime();
        List<CompletableFuture<Response>> sent = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                List<String> mine = inputs.stream().map(s -> s + " " + UUID.randomUUID()).toList();
                sent.add(CompletableFuture.supplyAsync(() -> embed(user, mine), pool));
            }
            int spent = 0;
            int refused = 0;
            for (CompletableFuture<Response> f : sent) {
                Response response = f.join();
                if (response.statusCode() == 200) {
                    spent += response.jsonPath().getInt("usage.prompt_tokens");
                } else {
                    response.then().statusCode(429).header("Retry-After", org.hamcrest.Matchers.notNullValue())
                            .body("error.type", equalTo("tokens")).body("error.code", equalTo("rate_limit_exceeded"));
                    refused++;
                }
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            // 40 requests of ~80 tokens want ~3,200: the per-minute budget lets 1,000 through, plus what refilled
            assertTrue(spent <= 1000 + 1000 / 60.0 * elapsed, spent + " tokens spent of a 1,000 budget in " + elapsed);
            assertTrue(refused > 20, refused + " refused");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRequestLargerThanTheWholeBudgetIsRefusedAsSuch() {
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            inputs.add("twelve or so word pieces in every one of these sentences, number " + i);
        }
        embed(UUID.randomUUID(), inputs).then().statusCode(400).body("error.code", equalTo("request_too_large"));
    }
}
