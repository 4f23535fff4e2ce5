package dev.meridian.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.meridian.inference.JobsTest.as;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Quotas are counted and taken in one step per user: concurrent requests cannot all see room for one more. */
@QuarkusTest
class QuotaRaceTest {

    @Test
    void twentyParallelSubmissionsOfAFreeUserGetExactlyTheThreeActiveJobsAllowed() throws Exception {
        UUID user = UUID.randomUUID();
        String token = JobsTest.token(user); // free tier: 3 jobs pending or running at once
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) { // big enough that no job settles while the burst is answered
            inputs.add("racing job input " + i + " " + UUID.randomUUID() + " with some more words to embed");
        }
        String body = new ObjectMapper().writeValueAsString(Map.of("type", "embed_batch", "model", JobsTest.FP32,
                "inputs", inputs));

        ExecutorService clients = Executors.newFixedThreadPool(20);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Response>> answers = new ArrayList<>();
        List<String> accepted = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                answers.add(clients.submit(() -> {
                    start.await();
                    return given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON)
                            .body(body).post("/v1/jobs");
                }));
            }
            start.countDown();
            int refused = 0;
            for (Future<Response> answer : answers) {
                Response response = answer.get();
                if (response.statusCode() == 202) {
                    accepted.add(response.path("id"));
                } else {
                    assertEquals(429, response.statusCode(), response.asString());
                    assertEquals("quota_exceeded", response.path("error.code"));
                    refused++;
                }
            }
            assertEquals(3, accepted.size(), "accepted while 3 were allowed");
            assertEquals(17, refused);
        } finally {
            clients.shutdownNow();
            accepted.forEach(id -> as(user).delete("/v1/jobs/" + id));
        }
    }
}
