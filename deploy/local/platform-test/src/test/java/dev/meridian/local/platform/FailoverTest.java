package dev.meridian.local.platform;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.meridian.local.platform.LocalPlatform.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two gateways in front of two user-service and three inference-service instances, one of each killed with SIGKILL
 * under steady load from several users: the gateways move the requests the dead instances held, and every later one,
 * to the survivors; clients, as an ingress would, send to the gateway that accepts connections.
 */
class FailoverTest {

    private static final int USERS = 6;
    /** Per user: two clients at about 8 requests a second each, inside the free tier's 20/s. */
    private static final int CLIENTS_PER_USER = 2;
    private static final long PACE_MILLIS = 125;

    @TempDir
    Path platformDir;
    private LocalPlatform platform;

    /** {@code call}: the Idempotency-Key of an embedding call, sent again with it when its answer was lost. */
    private record Outcome(long atMillis, String path, int status, String body, int user, String call) {
    }

    @AfterEach
    void alwaysDown() throws Exception {
        platform.run("down");
    }

    @Test
    void oneOfTwoInstancesOfEachServiceKilledUnderSteadyLoadCostsAlmostNoRequest() throws Exception {
        platform = new LocalPlatform(platformDir);
        platform.reserveAfter(6, 1, 2);
        platform.reserveAfter(4, 101);
        int[] ports = platform.ports;
        LocalPlatform.Result up = platform.run("up", "--detach", "--no-build", "--no-zipkin", "--inference-instances=3",
                "--user-instances=2", "--gateway-instances=2");
        assertEquals(0, up.exitCode(), up.output());
        Map<String, Long> pids = new HashMap<>();
        for (String line : Files.readAllLines(platformDir.resolve("run/components.tsv"))) {
            String[] fields = line.split("\t");
            pids.put(fields[0], Long.parseLong(fields[4]));
        }
        assertTrue(pids.keySet().containsAll(java.util.Set.of("user-service-2", "inference-service-3",
                "gateway-service-2")), pids.toString());
        int[] gateways = {ports[4], ports[4] + 101};

        // accounts made at user-service itself: the gateway limits sign-ups per client IP
        List<String> tokens = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            String credentials = "\"email\":\"steady-" + u + "@example.com\",\"password\":\"a long enough password\"";
            assertEquals(201, post(ports[5], "/v1/users", "{" + credentials + ",\"displayName\":\"Steady\"}")
                    .statusCode());
            HttpResponse<String> login = post(ports[5], "/v1/auth/token", "{" + credentials + "}");
            assertEquals(200, login.statusCode(), login.body());
            tokens.add(login.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1"));
        }

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicInteger retried = new java.util.concurrent.atomic.AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        long start = System.nanoTime();
        ExecutorService clients = Executors.newFixedThreadPool(USERS * CLIENTS_PER_USER);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < USERS * CLIENTS_PER_USER; c++) {
            String token = tokens.get(c % USERS);
            int client = c;
            running.add(clients.submit(() -> {
                for (int n = 0; !stop.get(); n++) {
                    long sent = System.nanoTime();
                    boolean embed = n % 2 == 0;
                    long at = (sent - start) / 1_000_000;
                    String path = embed ? "embeddings" : "users/me";
                    // spread over both gateways; a request whose connection failed before any answer goes to the
                    // other one, as an ingress in front of them does (Envoy: retry_on connect-failure,reset); both
                    // requests here are safe to repeat (a read, an embedding)
                    int gateway = (client + n) % 2;
                    try {
                        HttpResponse<String> response;
                        try {
                            response = http.send(request(gateways[gateway], embed, token, client, n),
                                    HttpResponse.BodyHandlers.ofString());
                        } catch (java.net.http.HttpTimeoutException slow) {
                            throw slow; // a gateway that accepted it and never answered: no retry hides that
                        } catch (java.io.IOException lost) {
                            retried.incrementAndGet();
                            response = http.send(request(gateways[1 - gateway], embed, token, client, n),
                                    HttpResponse.BodyHandlers.ofString());
                        }
                        outcomes.add(new Outcome(at, path, response.statusCode(),
                                response.statusCode() == 200 && !embed ? "" : response.body(), client % USERS,
                                embed ? callKey(client, n) : null));
                    } catch (java.io.IOException e) {
                        // no answer at all (timeout, reset): as much a failure as a 5xx
                        outcomes.add(new Outcome(at, path, -1, e.toString(), client % USERS,
                                embed ? callKey(client, n) : null));
                    }
                    long left = PACE_MILLIS - (System.nanoTime() - sent) / 1_000_000;
                    if (left > 0) {
                        TimeUnit.MILLISECONDS.sleep(left); // pacing the load, not waiting for anything
                    }
                }
                return null;
            }));
        }
        try {
            awaitOutcomes(outcomes, 300);
            long inferenceKilledAt = killAndNote(pids.get("inference-service-2"), start);
            awaitOutcomes(outcomes, outcomes.size() + 700);
            long userKilledAt = killAndNote(pids.get("user-service-2"), start);
            awaitOutcomes(outcomes, outcomes.size() + 700);
            long gatewayKilledAt = killAndNote(pids.get("gateway-service-2"), start);
            awaitOutcomes(outcomes, outcomes.size() + 700);
            stop.set(true);
            for (Future<?> client : running) {
                client.get(60, TimeUnit.SECONDS);
            }

            List<Outcome> failed = outcomes.stream().filter(o -> o.status() != 200).toList();
            long embeddings = outcomes.stream().filter(o -> o.path().equals("embeddings")).count();
            System.out.printf("failover: %d requests (%d embeddings), %d failed; inference-service-2 killed at %d ms,"
                    + " user-service-2 at %d ms, gateway-service-2 at %d ms; %d sent again to the other gateway;"
                    + " failures: %s%n", outcomes.size(), embeddings, failed.size(), inferenceKilledAt, userKilledAt,
                    gatewayKilledAt, retried.get(), failed);
            assertTrue(failed.size() * 1000 < outcomes.size(), failed.size() + " of " + outcomes.size()
                    + " requests failed: " + failed);
            for (Outcome outcome : failed) {
                boolean justAfterAKill = java.util.stream.LongStream.of(inferenceKilledAt, userKilledAt, gatewayKilledAt)
                        .anyMatch(kill -> outcome.atMillis() >= kill - 1000 && outcome.atMillis() < kill + 1000);
                assertTrue(justAfterAKill, "a request failed more than a second after a kill: " + outcome);
            }
            assertUsageMatchesWhatClientsWereTold(http, gateways[0], tokens, outcomes, start, platformDir);
        } finally {
            stop.set(true);
            clients.shutdownNow();
        }
    }

    /**
     * Each user's usage report against the {@code usage.prompt_tokens} their answers carried, each call once: an
     * inference-service instance was killed mid-run (its journal's last records shipped by a survivor), and calls whose
     * answer was lost are sent again with their Idempotency-Key, as a client that must not pay twice does.
     */
    private static void assertUsageMatchesWhatClientsWereTold(HttpClient http, int gateway, List<String> tokens,
                                                              ConcurrentLinkedQueue<Outcome> outcomes, long start,
                                                              Path platformDir) throws Exception {
        long[] expectedTokens = new long[USERS];
        long[] expectedCalls = new long[USERS];
        int resent = 0;
        for (Outcome outcome : outcomes) {
            if (outcome.call() == null) {
                continue;
            }
            String body = outcome.body();
            for (int attempt = 0; !body.contains("\"prompt_tokens\"") && attempt < 5; attempt++) {
                String[] parts = outcome.call().split("-");
                HttpResponse<String> again = http.send(request(gateway, true, tokens.get(outcome.user()),
                        Integer.parseInt(parts[1]), Integer.parseInt(parts[2])), HttpResponse.BodyHandlers.ofString());
                body = again.statusCode() == 200 ? again.body() : "";
                resent++;
            }
            expectedTokens[outcome.user()] += Long.parseLong(body.replaceAll(".*\"prompt_tokens\":(\\d+).*", "$1"));
            expectedCalls[outcome.user()]++;
        }
        long since = System.currentTimeMillis() / 1000 - (System.nanoTime() - start) / 1_000_000_000 - 60;
        for (int u = 0; u < USERS; u++) {
            String path = "http://127.0.0.1:" + gateway + "/v1/usage?start_time=" + since + "&bucket_width=1h";
            String expected = expectedTokens[u] + " tokens in " + expectedCalls[u] + " calls";
            String token = tokens.get(u);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String reported;
            do {
                String report = http.send(HttpRequest.newBuilder(URI.create(path)).header("Authorization", "Bearer "
                        + token).build(), HttpResponse.BodyHandlers.ofString()).body();
                reported = sum(report, "input_tokens") + " tokens in " + sum(report, "num_model_requests") + " calls";
                if (reported.equals(expected)) {
                    break;
                }
                TimeUnit.MILLISECONDS.sleep(200); // poll interval: usage is shipped about once a second
            } while (System.nanoTime() < deadline);
            if (!expected.equals(reported)) { // rare (once in a full build): say what the journals held
                assertEquals(expected, reported, "user " + u + "'s usage (" + resent + " calls sent again); "
                        + usageDiagnostics(platformDir));
            }
        }
    }

    /** The journal segments left and every usage line of the inference-service logs, for a failed usage check. */
    private static String usageDiagnostics(Path platformDir) throws Exception {
        StringBuilder out = new StringBuilder("journal: ");
        if (Files.isDirectory(platformDir.resolve("usage-journal"))) {
            try (var files = Files.list(platformDir.resolve("usage-journal"))) {
                files.forEach(f -> out.append(f.getFileName()).append(' '));
            }
        }
        try (var logs = Files.list(platformDir.resolve("logs"))) {
            for (Path log : logs.filter(l -> l.getFileName().toString().startsWith("inference-service")).toList()) {
                out.append("\n").append(log.getFileName()).append(":");
                Files.readAllLines(log).stream().filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains("usage"))
                        .forEach(l -> out.append("\n  ").append(l));
            }
        }
        return out.toString();
    }

    private static long sum(String report, String field) {
        java.util.regex.Matcher values = java.util.regex.Pattern.compile("\"" + field + "\":(\\d+)").matcher(report);
        long sum = 0;
        while (values.find()) {
            sum += Long.parseLong(values.group(1));
        }
        return sum;
    }

    private static String callKey(int client, int n) {
        return "steady-" + client + "-" + n;
    }

    private static HttpRequest request(int gateway, boolean embed, String token, int client, int n) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway
                        + (embed ? "/v1/embeddings" : "/v1/users/me")))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20));
        if (embed) {
            request.header("Idempotency-Key", callKey(client, n));
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"all-minilm-l6-v2\",\"input\":\"steady " + client + " " + n + "\"}"));
        }
        return request.build();
    }

    private static long killAndNote(long pid, long start) {
        long at = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ProcessHandle.of(pid).orElseThrow().destroyForcibly(), "could not kill " + pid);
        return at;
    }

    /** Until the load has produced {@code count} answers (a steady load: at most a minute). */
    private static void awaitOutcomes(ConcurrentLinkedQueue<Outcome> outcomes, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (outcomes.size() < count && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20); // poll interval
        }
        assertTrue(outcomes.size() >= count, "the load stalled at " + outcomes.size() + " answers");
    }
}
