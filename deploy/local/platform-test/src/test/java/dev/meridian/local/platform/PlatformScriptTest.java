package dev.meridian.local.platform;

import dev.meridian.local.infra.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's "run it" command, end to end: {@code ./platform up --detach} brings up all six components,
 * {@code status} sees them ready, {@code down} leaves no process behind, and a second {@code up} keeps the data.
 * Free ports and a throwaway platform directory keep it clear of a platform a developer may be running.
 */
class PlatformScriptTest {

    private static final Path REPO = Path.of("../../..").toAbsolutePath().normalize();
    private static final List<String> COMPONENTS = List.of(
            "postgresql", "redis", "kafka", "gateway-service", "user-service", "inference-service");

    @TempDir
    Path platformDir;
    private final int[] ports = Ports.free(7);

    @AfterEach
    void alwaysDown() throws Exception {
        platform("down");
    }

    @Test
    void upStatusDownAndUpAgainKeepsData() throws Exception {
        Result up = platform("up", "--detach", "--no-build");
        assertEquals(0, up.exitCode, up.output);
        for (String component : COMPONENTS) {
            assertTrue(up.output.lines().anyMatch(l -> l.startsWith(component + " ") && l.contains(" ready ")),
                    component + " is not reported ready:\n" + up.output);
        }
        Result status = platform("status");
        assertEquals(0, status.exitCode, status.output);

        HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[4] + "/q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertTrue(health.body().contains("\"status\": \"UP\""), health.body());

        // through the gateway: sign up and log in at user-service, then a protected call verified at the edge
        String account = "{\"email\":\"platform-test@example.com\",\"password\":\"a long enough password\","
                + "\"displayName\":\"Platform\"}";
        assertEquals(201, post(ports[4], "/v1/users", account).statusCode());
        HttpResponse<String> login = post(ports[4], "/v1/auth/token",
                "{\"email\":\"platform-test@example.com\",\"password\":\"a long enough password\"}");
        assertEquals(200, login.statusCode(), login.body());
        String token = login.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
        HttpResponse<String> me = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports[4] + "/v1/users/me"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, me.statusCode(), me.body());
        assertTrue(me.body().contains("platform-test@example.com"), me.body());
        // an API key works as a bearer credential at the gateway (exchanged with user-service for a JWT)
        HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports[4] + "/v1/users/me/api-keys"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"sdk\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        String apiKey = created.body().replaceAll(".*\"key\":\"([^\"]+)\".*", "$1");
        HttpResponse<String> withKey = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports[4] + "/v1/users/me"))
                .header("Authorization", "Bearer " + apiKey).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, withKey.statusCode(), withKey.body());
        // what an OpenAI SDK does with baseURL = gateway /v1 and the Meridian key: embeddings from inference-service
        HttpResponse<String> embedded = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports[4] + "/v1/embeddings"))
                .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello platform\",\"encoding_format\":\"base64\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, embedded.statusCode(), embedded.body());
        String vector = embedded.body().replaceAll(".*\"embedding\":\"([^\"]+)\".*", "$1");
        assertEquals(384 * 4, java.util.Base64.getDecoder().decode(vector).length, embedded.body());
        // an async job: accepted by inference-service (which verifies the token itself), run by its Kafka worker
        HttpResponse<String> job = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports[4] + "/v1/jobs"))
                .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"embed_batch\",\"inputs\":[\"a\",\"b\"]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, job.statusCode(), job.body());
        String jobId = job.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
        HttpRequest jobStatus = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[4] + "/v1/jobs/" + jobId))
                .header("Authorization", "Bearer " + apiKey).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String state = "";
        while (!state.contains("\"status\":\"completed\"") && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(100); // poll interval (the gateway rate-limits a tight loop)
            state = HttpClient.newHttpClient().send(jobStatus, HttpResponse.BodyHandlers.ofString()).body();
        }
        assertTrue(state.contains("\"status\":\"completed\""), state);

        sql("CREATE TABLE survivor (name text); INSERT INTO survivor VALUES ('still here')");
        List<Long> pids = componentPids();
        assertEquals(COMPONENTS.size(), pids.size());

        Result down = platform("down");
        assertEquals(0, down.exitCode, down.output);
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "process " + pid + " survived ./platform down");
        }
        for (int port : ports) {
            assertFalse(Ports.accepts(port), "port " + port + " still open after ./platform down");
        }

        Result again = platform("up", "--detach", "--no-build");
        assertEquals(0, again.exitCode, again.output);
        // the account, and the signing key encrypted under the kept master key, survived the restart
        assertEquals(200, post(ports[5], "/v1/auth/token",
                "{\"email\":\"platform-test@example.com\",\"password\":\"a long enough password\"}").statusCode());
        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + ports[0] + "/meridian_users", "postgres", "postgres");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name FROM survivor")) {
            assertTrue(rs.next(), "data written before ./platform down is gone");
            assertEquals("still here", rs.getString(1));
        }
    }

    @Test
    void aTakenPortFailsFastWithAClearMessage() throws Exception {
        try (var taken = new java.net.ServerSocket()) {
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", ports[5]));
            Result up = platform("up", "--detach", "--no-build");
            assertEquals(1, up.exitCode, up.output);
            assertTrue(up.output.contains("port " + ports[5] + " needed by user-service is already in use"), up.output);
        }
        assertTrue(componentPids().isEmpty(), "nothing should be left running after a failed start");
    }

    private static HttpResponse<String> post(int port, String path, String json) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void sql(String statements) throws Exception {
        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + ports[0] + "/meridian_users", "postgres", "postgres");
             Statement s = c.createStatement()) {
            s.execute(statements);
        }
    }

    private List<Long> componentPids() throws IOException {
        Path file = platformDir.resolve("run/components.tsv");
        List<Long> pids = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.split("\t")[4]));
                }
            }
        }
        return pids;
    }

    private Result platform(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(REPO.resolve("platform").toString()));
        command.addAll(List.of(args));
        if (args[0].equals("up")) {
            command.addAll(List.of("--pg-port=" + ports[0], "--redis-port=" + ports[1], "--kafka-port=" + ports[2],
                    "--kafka-controller-port=" + ports[3], "--gateway-port=" + ports[4], "--user-port=" + ports[5],
                    "--inference-port=" + ports[6]));
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true);
        builder.environment().put("MERIDIAN_PLATFORM_DIR", platformDir.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "./platform " + args[0] + " hung");
        return new Result(process.exitValue(), output);
    }

    private record Result(int exitCode, String output) {
    }
}
