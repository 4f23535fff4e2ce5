package dev.meridian.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.events.user.UserErased;
import dev.meridian.events.user.UserRegistered;
import dev.meridian.inference.usage.UsageRecord;
import dev.meridian.local.infra.LocalPostgres;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.jwt.build.Jwt;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static dev.meridian.inference.InferenceApi.MODEL;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Usage as a client can check it: the report's totals equal the {@code usage.prompt_tokens} the answers carried, each
 * call once, whoever else calls at the same time and however calls are retried.
 */
@QuarkusTest
class UsageTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TestHTTPResource("/")
    URL base;

    @Inject
    ObjectMapper json;

    @ConfigProperty(name = "meridian.inference.usage.journal-dir")
    String journalDir;

    @InjectLocalServer
    LocalPostgres postgres;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** One call as a client sends it; retries of one logical call share its {@code logical} name. */
    private record Call(String logical, String endpoint, String token, String idempotencyKey, String body) {
    }

    private record Answer(Call call, int status, long promptTokens) {
    }

    @Test
    void concurrentCallsAreEachCountedOnceWithTheTokensTheirAnswersCarried() throws Exception {
        UUID user = UUID.randomUUID();
        UUID apiKey = UUID.randomUUID();
        String plain = JobsTest.token(user);
        String viaKey = tokenWithApiKey(user, apiKey);
        long since = Instant.now().getEpochSecond() - 60;

        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < 240; i++) {
            String text = "usage " + i + " " + "word ".repeat(i % 17);
            String token = i % 3 == 0 ? viaKey : plain;
            String key = i % 10 == 0 ? "retry-" + i : null;
            Call call = switch (i % 4) {
                case 0 -> new Call("c" + i, "/v1/embeddings", token, key,
                        "{\"model\":\"" + MODEL + "\",\"input\":\"" + text + "\"}");
                case 1 -> new Call("c" + i, "/v1/embeddings", token, key, "{\"model\":\"" + MODEL + "\",\"input\":[\""
                        + text + "\",\"" + text + " more\",\"third " + i + "\"]}");
                case 2 -> new Call("c" + i, "/v1/similarity", token, key, "{\"model\":\"" + MODEL + "\",\"source\":\""
                        + text + "\",\"candidates\":[\"a " + i + "\",\"b\"]}");
                default -> new Call("c" + i, "/v1/classify", token, key, "{\"model\":\"" + MODEL + "\",\"input\":\""
                        + text + "\",\"labels\":[\"x\",\"y " + i + "\"]}");
            };
            calls.add(call);
            if (key != null) {
                calls.add(call); // its retry, racing the original (as after a lost answer): the same call
            }
        }
        // the same Idempotency-Key on different inputs is another call, not a way to hide one
        calls.add(new Call("reused-key", "/v1/embeddings", plain, "retry-0",
                "{\"model\":\"" + MODEL + "\",\"input\":\"a different text under a used key\"}"));

        List<Answer> answers = sendAll(calls);
        answers.forEach(a -> assertEquals(200, a.status(), a.call().toString()));
        Map<String, Answer> logical = new LinkedHashMap<>();
        for (Answer answer : answers) {
            Answer first = logical.putIfAbsent(answer.call().logical(), answer);
            if (first != null) {
                assertEquals(first.promptTokens(), answer.promptTokens(), "a retry reports the same tokens");
            }
        }
        long tokens = logical.values().stream().mapToLong(Answer::promptTokens).sum();
        long viaKeyTokens = logical.values().stream().filter(a -> a.call().token().equals(viaKey))
                .mapToLong(Answer::promptTokens).sum();
        Map<String, Long> byEndpoint = new HashMap<>();
        logical.values().forEach(a -> byEndpoint.merge(a.call().endpoint(), a.promptTokens(), Long::sum));

        String query = "/v1/usage?start_time=" + since;
        await().atMost(WAIT).until(() -> totals(plain, query).tokens() >= tokens);
        awaitJournalShipped();
        assertEquals(new Totals(tokens, logical.size()), totals(plain, query), "each call counted once");

        Map<String, Totals> byKey = grouped(plain, query + "&group_by=api_key_id", "api_key_id");
        assertEquals(viaKeyTokens, byKey.get(apiKey.toString()).tokens());
        assertEquals(tokens - viaKeyTokens, byKey.get(null).tokens());
        Map<String, Totals> endpoints = grouped(plain, query + "&group_by[]=endpoint&group_by[]=model", "endpoint");
        byEndpoint.forEach((endpoint, sum) -> assertEquals(sum, endpoints.get(endpoint).tokens(), endpoint));
        assertEquals(new Totals(tokens, logical.size()), totals(plain, query + "&bucket_width=1m&limit=1440"),
                "minute buckets add up to the same");

        // operators find a billed call by the id it came with (Idempotency-Key here, else the gateway's X-Request-Id)
        try (Connection db = DriverManager.getConnection(postgres.jdbcUrl(ErasureRecoveryTest.DATABASE),
                LocalPostgres.USER, LocalPostgres.USER); Statement sql = db.createStatement();
             ResultSet rows = sql.executeQuery("SELECT count(*) FROM usage_records WHERE request_id = 'retry-10'"
                     + " AND user_id = '" + user + "'")) {
            rows.next();
            assertEquals(1, rows.getInt(1), "a call sent twice with one key is one row");
        }

        String admin = JobsTest.token(UUID.randomUUID(), "user", "admin");
        Map<String, Totals> byUser = grouped(admin, "/v1/admin/usage?start_time=" + since + "&user_ids=" + user
                + "&group_by=user_id", "user_id");
        assertEquals(Map.of(user.toString(), new Totals(tokens, logical.size())), byUser);

        String stranger = JobsTest.token(UUID.randomUUID());
        assertEquals(new Totals(0, 0), totals(stranger, query), "another user sees none of it");
        given().header("Authorization", "Bearer " + stranger).get("/v1/admin/usage?start_time=" + since)
                .then().statusCode(403);
    }

    @Test
    void reportsPageThroughBucketsAndRefuseBadParametersNamingThem() {
        String token = JobsTest.token(UUID.randomUUID());
        long start = Instant.now().getEpochSecond() - 600;
        JsonPath first = report(token, "/v1/usage?start_time=" + start + "&bucket_width=1m&limit=4");
        assertEquals("page", first.getString("object"));
        assertEquals(4, first.getList("data").size());
        assertEquals(start, first.getLong("data[0].start_time"));
        assertEquals(start + 60, first.getLong("data[0].end_time"));
        assertTrue(first.getBoolean("has_more"));
        String next = first.getString("next_page");
        assertEquals(Long.toString(start + 240), next);
        JsonPath second = report(token, "/v1/usage?start_time=" + start + "&bucket_width=1m&limit=4&page=" + next);
        assertEquals(start + 240, second.getLong("data[0].start_time"));

        Map<String, String> refused = Map.of(
                "bucket_width=1d", "start_time",
                "start_time=" + start + "&bucket_width=2h", "bucket_width",
                "start_time=" + start + "&limit=32", "limit",
                "start_time=" + start + "&group_by=project_id", "group_by",
                "start_time=" + start + "&group_by=user_id", "group_by",
                "start_time=" + start + "&end_time=" + (start - 1), "end_time",
                "start_time=" + start + "&page=abc", "page");
        refused.forEach((params, param) -> given().header("Authorization", "Bearer " + token)
                .get("/v1/usage?" + params).then().statusCode(400)
                .body("error.param", org.hamcrest.Matchers.equalTo(param)));
    }

    @Test
    void anErasedUsersUsageStaysOnlyInTheAnonymousTotals() throws Exception {
        UUID user = UUID.randomUUID();
        UserEventsTest.publishAndAwait(new UserRegistered(user, "Erased", List.of("user"), "free", Instant.now()));
        String token = JobsTest.token(user);
        String admin = JobsTest.token(UUID.randomUUID(), "user", "admin");
        long since = Instant.now().getEpochSecond() - 60;
        long tokens = 0;
        for (int i = 0; i < 3; i++) {
            tokens += given().header("Authorization", "Bearer " + token).contentType("application/json").body(Map.of("model", MODEL, "input", "mine " + i))
                    .post("/v1/embeddings").then().statusCode(200).extract().<Integer>path("usage.prompt_tokens");
        }
        long mine = tokens;
        String own = "/v1/admin/usage?start_time=" + since + "&user_ids=" + user;
        await().atMost(WAIT).until(() -> totals(admin, own).tokens() == mine);
        awaitJournalShipped();
        String everyone = "/v1/admin/usage?start_time=" + since + "&group_by=user_id";
        long anonymousBefore = tokensOf(grouped(admin, everyone, "user_id").get(null));

        UserEventsTest.publishAndAwait(new UserErased(user, Instant.now()));

        assertEquals(new Totals(0, 0), totals(admin, own), "nothing is left under the user");
        Map<String, Totals> after = grouped(admin, everyone, "user_id");
        assertFalse(after.containsKey(user.toString()));
        assertEquals(anonymousBefore + mine, tokensOf(after.get(null)), "their tokens stay in the anonymous totals");
    }

    @Test
    void aSegmentLeftByADeadInstanceIsShippedWithoutTheLineItWasWriting() throws Exception {
        UUID user = UUID.randomUUID();
        String token = JobsTest.token(user);
        long since = Instant.now().getEpochSecond() - 60;
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            lines.append(json.writeValueAsString(new UsageRecord("dead-instance-" + user + "-" + i, null, user, null,
                    MODEL + ":int8", "/v1/embeddings", 1, 10 + i, Instant.now()))).append('\n');
        }
        lines.append("{\"requestKey\":\"cut-short"); // the kill came mid-write: never acknowledged
        // as a killed instance leaves it: no writer holding its lock (moved into place whole, so no shipper sees a
        // half-written test file)
        Path written = Files.writeString(Path.of(journalDir).resolve(UUID.randomUUID() + ".tmp"), lines,
                StandardCharsets.UTF_8);
        Path segment = Files.move(written, Path.of(journalDir).resolve("usage-1-" + UUID.randomUUID() + ".jsonl"),
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);

        await().atMost(WAIT).until(() -> !Files.exists(segment));
        assertEquals(new Totals(10 + 11 + 12 + 13 + 14, 5), totals(token, "/v1/usage?start_time=" + since));
    }

    @Test
    void aSegmentBeingOpenedIsLeftAloneWhileOneAbandonedLongAgoIsRemoved() throws Exception {
        Path journal = Path.of(journalDir);
        // a writer creates its segment under this name and locks it a moment later: caught in that moment, it must
        // keep it (removing it once failed a call with 503)
        Path opening = Files.createFile(journal.resolve("usage-2-" + UUID.randomUUID() + ".opening"));
        Path abandoned = Files.createFile(journal.resolve("usage-3-" + UUID.randomUUID() + ".opening"));
        Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.from(Instant.now().minusSeconds(120)));

        await().atMost(WAIT).until(() -> !Files.exists(abandoned));
        assertTrue(Files.exists(opening), "a segment being opened was removed");
        Files.delete(opening);
    }

    private List<Answer> sendAll(List<Call> calls) {
        List<CompletableFuture<Answer>> pending = new ArrayList<>();
        for (Call call : calls) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "")
                            + call.endpoint())).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + call.token()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(call.body()));
            if (call.idempotencyKey() != null) {
                request.header("Idempotency-Key", call.idempotencyKey());
            }
            pending.add(http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
                    .thenApply(response -> new Answer(call, response.statusCode(), response.statusCode() != 200 ? -1
                            : JsonPath.from(response.body()).getLong("usage.prompt_tokens"))));
        }
        return pending.stream().map(CompletableFuture::join).toList();
    }

    private record Totals(long tokens, long requests) {
    }

    private static long tokensOf(Totals totals) {
        return totals == null ? 0 : totals.tokens();
    }

    private static JsonPath report(String token, String path) {
        return given().header("Authorization", "Bearer " + token).get(path).then().statusCode(200).extract()
                .jsonPath();
    }

    private static Totals totals(String token, String path) {
        List<Map<String, Object>> results = report(token, path).getList("data.results.flatten()");
        return new Totals(results.stream().mapToLong(r -> ((Number) r.get("input_tokens")).longValue()).sum(),
                results.stream().mapToLong(r -> ((Number) r.get("num_model_requests")).longValue()).sum());
    }

    /** Totals per value of one grouping field (null: calls without one), over all buckets and other groupings. */
    private static Map<String, Totals> grouped(String token, String path, String field) {
        Map<String, Totals> out = new HashMap<>();
        List<Map<String, Object>> results = report(token, path).getList("data.results.flatten()");
        for (Map<String, Object> r : results) {
            Object value = r.get(field);
            out.merge(value == null ? null : value.toString(), new Totals(((Number) r.get("input_tokens")).longValue(),
                    ((Number) r.get("num_model_requests")).longValue()),
                    (a, b) -> new Totals(a.tokens() + b.tokens(), a.requests() + b.requests()));
        }
        return out;
    }

    /** Until the journal holds nothing PostgreSQL does not (the shipper's gauge). */
    private static void awaitJournalShipped() {
        await().atMost(WAIT).until(() -> InferenceApi.metric("meridian_inference_usage_backlog_bytes") == 0);
    }

    private static String tokenWithApiKey(UUID user, UUID apiKey) {
        return Jwt.issuer("https://meridian.dev/user-service").subject(user.toString()).audience("meridian")
                .groups(Set.of("user")).claim("tier", "free").claim("akid", apiKey.toString())
                .jws().keyId("test-key").sign();
    }
}
