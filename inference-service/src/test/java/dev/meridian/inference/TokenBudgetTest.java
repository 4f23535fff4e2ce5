package dev.meridian.inference;

import dev.meridian.events.user.UserRegistered;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
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
 * charged with the request's prompt tokens before the model runs, atomically, with OpenAI's rate-limit headers; the
 * same budget pays for collection documents, collection searches and job inputs.
 */
@QuarkusTest
class TokenBudgetTest {

    @Inject
    RedisDataSource stateRedis;

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
    void concurrentDocumentWritesAndSearchesSpendTheOwnersBudget() throws Exception {
        UUID user = UUID.randomUUID();
        CollectionsTest.asTier(user, "metered").body(Map.of("name", "budgeted")).post("/v1/collections")
                .then().statusCode(201);
        String query = "which document " + UUID.randomUUID();
        Response search = CollectionsTest.asTier(user, "metered").body(Map.of("query", query))
                .post("/v1/collections/budgeted/search");
        long start = System.nanoTime();
        search.then().statusCode(200).header("x-ratelimit-limit-tokens", "1000");
        int left = Integer.parseInt(search.header("x-ratelimit-remaining-tokens"));
        assertEquals(1000 - tokens(List.of(query)), left, "the search's query tokens are spent");

        List<List<String>> writes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            List<String> texts = new ArrayList<>();
            for (int d = 0; d < 4; d++) {
                texts.add("a document of about a dozen word pieces, " + i + " " + d);
            }
            writes.add(texts);
        }
        int cheapest = writes.stream().mapToInt(TokenBudgetTest::tokens).min().orElseThrow();
        ExecutorService pool = Executors.newFixedThreadPool(40);
        List<CompletableFuture<Response>> sent = new ArrayList<>();
        try {
            for (int i = 0; i < writes.size(); i++) {
                List<Map<String, String>> docs = new ArrayList<>();
                for (int d = 0; d < 4; d++) {
                    docs.add(Map.of("id", "w" + i + "-" + d, "text", writes.get(i).get(d)));
                }
                sent.add(CompletableFuture.supplyAsync(() -> CollectionsTest.asTier(user, "metered")
                        .body(Map.of("documents", docs)).post("/v1/collections/budgeted/documents"), pool));
            }
            int accepted = 0;
            int refused = 0;
            for (CompletableFuture<Response> f : sent) {
                Response response = f.join();
                if (response.statusCode() == 200) {
                    accepted++;
                } else if (response.statusCode() != 409) { // 409: lost the race for the collection's version
                    response.then().statusCode(429).body("error.type", equalTo("tokens"));
                    refused++;
                }
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            double budget = left + 1000 / 60.0 * elapsed;
            assertTrue(accepted * cheapest <= budget, accepted + " writes of at least " + cheapest
                    + " tokens accepted on a budget of " + budget);
            assertTrue(accepted > 0, "no write accepted");
            assertTrue(refused > 0, "no write refused for its tokens");
            // refused writes stored nothing
            assertEquals(accepted * 4L, CollectionsTest.documentsInDatabase(user));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void jobsSpendTheOwnersBudgetArePacedByTheMinuteAndFailWhenTheDayIsSpent() throws Exception {
        UUID user = UUID.randomUUID();
        UserEventsTest.publishAndAwait(new UserRegistered(user, "Metered", List.of("user"), "metered", Instant.now()));
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        List<String> third = new ArrayList<>();
        for (int i = 0; i < 128; i++) {
            first.add("item " + i);
            second.add("item " + (128 + i));
            third.add("item " + (256 + i));
        }
        int a = tokens(first);
        int b = tokens(second);
        int c = tokens(third);
        // two chunks (128 inputs each) that fit the minute budget alone but not together, and a third past the day's
        assertTrue(a <= 1000 && b <= 1000 && a + b > 1000 && a + b <= 1500 && a + b + c > 1500 + 10,
                "chunks of " + a + ", " + b + " and " + c + " tokens");
        List<String> paced = new ArrayList<>(first);
        paced.addAll(second);
        String job = JobsTest.submit(user, Map.of("type", "embed_batch", "model", JobsTest.FP32, "inputs", paced));
        JobsTest.awaitStatus(user, job, "completed").then().body("progress.done", equalTo(256));

        String refused = JobsTest.submit(user, Map.of("type", "embed_batch", "model", JobsTest.FP32, "inputs", third));
        JobsTest.awaitStatus(user, refused, "failed").then().body("error.code", equalTo("token_budget_exhausted"));
        // what is left today is what the jobs left: 1,500 less both chunks of the first (the minute has refilled)
        Response after = embed(user, "and now a single sentence");
        after.then().statusCode(200);
        int left = Integer.parseInt(after.header("x-ratelimit-remaining-tokens"));
        assertTrue(left <= 1500 - a - b - after.jsonPath().getInt("usage.prompt_tokens") + 1,
                left + " tokens left after jobs of " + (a + b) + " tokens");
    }

    /** The prompt tokens of these inputs, as a user with a budget to spare is charged for them. */
    private static int tokens(List<String> inputs) {
        return given().header("Authorization", "Bearer " + JobsTest.token(UUID.randomUUID()))
                .contentType(ContentType.JSON).body(Map.of("input", inputs, "model", JobsTest.FP32))
                .post("/v1/embeddings").then().statusCode(200).extract().path("usage.prompt_tokens");
    }

    /**
     * Redis holding the budget's script back (CLIENT PAUSE WRITE, as a busy or fsync-bound Redis does) while it still
     * answers: the request waits for it and is charged there, instead of deciding alone after 0.25 s as it used to
     * (which let a cold burst spend the budget twice: once in Redis, once in the process).
     */
    @Test
    void aSlowRedisThatStillAnswersIsWaitedFor() {
        UUID user = UUID.randomUUID();
        double decidedAlone = InferenceApi.metric("meridian_inference_token_budget_local_total");
        stateRedis.execute("CLIENT", "PAUSE", "500", "WRITE");
        long start = System.nanoTime();
        Response slow = embed(user, "waited for " + UUID.randomUUID());
        long millis = (System.nanoTime() - start) / 1_000_000;
        slow.then().statusCode(200);
        assertEquals(decidedAlone, InferenceApi.metric("meridian_inference_token_budget_local_total"),
                "the charge was decided without Redis after " + millis + " ms");
        assertTrue(millis >= 400, "answered in " + millis + " ms while Redis held writes for 500 ms");
        assertEquals(1000 - slow.jsonPath().getInt("usage.prompt_tokens"),
                Integer.parseInt(slow.header("x-ratelimit-remaining-tokens")), "charged in Redis");
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
