package dev.meridian.local.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.meridian.local.infra.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.meridian.local.platform.LocalPlatform.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * deploy/observability against the real thing: promtool accepts the Prometheus config and rules, and a real Prometheus
 * scraping the running platform under a little traffic finds every PromQL expression of the dashboards and rules valid
 * and returning series (a panel that queries nothing is a bug). Needs Debian's prometheus package, which .ci/run
 * installs; where it is missing the check is skipped, unless MERIDIAN_REQUIRE_PROMETHEUS=true makes that a failure.
 */
class ObservabilityCheckTest {

    private static final Path OBSERVABILITY = LocalPlatform.REPO.resolve("deploy/observability");
    private static final Path CONFIG = OBSERVABILITY.resolve("prometheus/prometheus.yml");
    /** A comparison with a number: an alert's threshold. */
    private static final Pattern THRESHOLD = Pattern.compile("(>=|<=|==|!=|>|<)\\s*(?=-?[0-9])");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new YAMLMapper();

    @TempDir
    Path platformDir;
    @TempDir
    Path prometheusDir;
    private Path prometheusBinary;
    private Path promtool;
    private Process prometheus;
    private LocalPlatform platform;

    @BeforeEach
    void findPrometheus() {
        Optional<Path> server = onPath("prometheus");
        Optional<Path> tool = onPath("promtool");
        if (server.isEmpty() || tool.isEmpty()) {
            String why = "prometheus and promtool are not installed (Debian: apt-get install prometheus)";
            assertFalse("true".equals(System.getenv("MERIDIAN_REQUIRE_PROMETHEUS")), why);
            Assumptions.abort(why);
        }
        prometheusBinary = server.get();
        promtool = tool.get();
    }

    @AfterEach
    void stop() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor(30, TimeUnit.SECONDS);
        }
        if (platform != null) {
            platform.run("down");
        }
    }

    @Test
    void promtoolAcceptsTheConfigAndItsRules() throws Exception {
        String output = run(promtool.toString(), "check", "config", CONFIG.toString());
        assertTrue(output.contains("SUCCESS: 1 rule files found"), output);
        assertTrue(Pattern.compile("SUCCESS: \\d+ rules found").matcher(output).find(), output);
    }

    @Test
    void everyDashboardAndRuleQueryReturnsSeriesFromTheRunningPlatform() throws Exception {
        platform = new LocalPlatform(platformDir);
        LocalPlatform.Result up = platform.run("up", "--detach", "--no-build", "--no-zipkin");
        assertEquals(0, up.exitCode(), up.output());
        int port = Ports.free(1)[0];
        prometheus = new ProcessBuilder(prometheusBinary.toString(), "--config.file=" + testConfig(),
                "--storage.tsdb.path=" + prometheusDir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(prometheusDir.resolve("prometheus.log").toFile()).start();
        String api = "http://127.0.0.1:" + port;
        awaitOk(api + "/-/ready");

        driveTraffic();

        Map<String, String> queries = new LinkedHashMap<>(dashboardQueries());
        JsonNode rules = get(api + "/api/v1/rules").path("data").path("groups");
        int ruleCount = 0;
        for (JsonNode group : rules) {
            for (JsonNode rule : group.path("rules")) {
                ruleCount++;
                String query = rule.path("query").asText();
                assertFalse(rule.path("health").asText().equals("err"), rule.toString());
                if (rule.path("type").asText().equals("alerting")) {
                    // not firing is no series at all; with `bool` every compared series shows up, as 0 or 1
                    assertEquals("success", queryResult(api, query).path("status").asText(), query);
                    query = THRESHOLD.matcher(query).replaceAll("$1 bool ");
                }
                queries.put("rule " + rule.path("name").asText(), query);
            }
        }
        int committed = 0;
        try (Stream<Path> files = Files.list(CONFIG.getParent().resolve("rules"))) {
            for (Path file : files.toList()) {
                for (JsonNode group : YAML.readTree(file.toFile()).path("groups")) {
                    committed += group.path("rules").size();
                }
            }
        }
        assertEquals(committed, ruleCount, "rules Prometheus loaded: " + rules);

        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        Map<String, String> empty = new LinkedHashMap<>(queries);
        while (!empty.isEmpty() && System.nanoTime() < deadline) {
            for (var query : List.copyOf(empty.entrySet())) {
                JsonNode answer = queryResult(api, query.getValue());
                if (!answer.path("status").asText().equals("success")) {
                    fail(query.getKey() + " is not valid PromQL: " + query.getValue() + "\n" + answer);
                }
                if (!answer.path("data").path("result").isEmpty()) {
                    empty.remove(query.getKey());
                }
            }
            TimeUnit.MILLISECONDS.sleep(500); // poll interval: rates need a second scrape after the traffic
        }
        assertTrue(empty.isEmpty(), "no series for " + empty);
    }

    /** The committed config, pointed at this platform's ports and scraping every second. */
    private Path testConfig() throws Exception {
        String config = Files.readString(CONFIG);
        Map<String, String> replacements = Map.of(
                "localhost:8080", "127.0.0.1:" + platform.ports[4],
                "localhost:8081", "127.0.0.1:" + platform.ports[5],
                "localhost:8082", "127.0.0.1:" + platform.ports[6],
                "\"rules/", "\"" + CONFIG.getParent().resolve("rules") + "/",
                "scrape_interval: 10s", "scrape_interval: 1s",
                "evaluation_interval: 10s", "evaluation_interval: 1s");
        for (var replacement : replacements.entrySet()) {
            assertTrue(config.contains(replacement.getKey()), replacement.getKey() + " not in " + CONFIG);
            config = config.replace(replacement.getKey(), replacement.getValue());
        }
        Path file = prometheusDir.resolve("prometheus.yml");
        Files.writeString(file, config);
        return file;
    }

    /** What the dashboards show: sign-up, log-in, an embedding, a cached model list, a 404 and an async job. */
    private void driveTraffic() throws Exception {
        String credentials = "\"email\":\"observed@example.com\",\"password\":\"a long enough password\"";
        assertEquals(201, post(platform.gatewayPort(), "/v1/users",
                "{" + credentials + ",\"displayName\":\"Observed\"}").statusCode());
        HttpResponse<String> login = post(platform.gatewayPort(), "/v1/auth/token", "{" + credentials + "}");
        assertEquals(200, login.statusCode(), login.body());
        String token = login.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
        assertEquals(200, platform.send(token, "POST", "/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":\"observe me\"}").statusCode());
        platform.send(token, "GET", "/v1/models", "");
        assertEquals("HIT", platform.send(token, "GET", "/v1/models", "").headers().firstValue("X-Cache").orElse(""));
        assertEquals(404, platform.send(token, "GET", "/v1/nowhere", "").statusCode());
        HttpResponse<String> job = platform.send(token, "POST", "/v1/jobs",
                "{\"type\":\"embed_batch\",\"inputs\":[\"one\",\"two\"]}");
        assertEquals(202, job.statusCode(), job.body());
        String jobId = job.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String state = "";
        while (!state.contains("\"status\":\"completed\"") && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(200); // poll interval (the gateway rate-limits a tight loop)
            state = platform.send(token, "GET", "/v1/jobs/" + jobId, "").body();
        }
        assertTrue(state.contains("\"status\":\"completed\""), state);
    }

    /** Every panel's queries, Grafana's $__rate_interval as a fixed window; a panel without a query fails. */
    private static Map<String, String> dashboardQueries() throws Exception {
        Map<String, String> queries = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(OBSERVABILITY.resolve("grafana/dashboards"))) {
            files = list.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        }
        assertEquals(4, files.size(), "platform overview, gateway, inference and events dashboards: " + files);
        for (Path file : files) {
            JsonNode dashboard = JSON.readTree(file.toFile());
            for (JsonNode panel : dashboard.path("panels")) {
                String where = file.getFileName() + " / " + panel.path("title").asText();
                assertEquals("prometheus", panel.path("datasource").path("uid").asText(), where);
                assertFalse(panel.path("targets").isEmpty(), where + " has no query");
                for (JsonNode target : panel.path("targets")) {
                    String expr = target.path("expr").asText().replace("$__rate_interval", "1m");
                    assertFalse(expr.isBlank() || expr.contains("$"), where + ": " + expr);
                    queries.put(where + " " + target.path("refId").asText(), expr);
                }
            }
        }
        return queries;
    }

    private static JsonNode queryResult(String api, String query) throws Exception {
        return get(api + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    }

    private static JsonNode get(String uri) throws Exception {
        return JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(uri)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static void awaitOk(String uri) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(uri)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notListeningYet) {
                // Prometheus is still starting
            }
            TimeUnit.MILLISECONDS.sleep(200); // poll interval
        }
        fail(uri + " never answered 200");
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " hung");
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    private static Optional<Path> onPath(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst();
    }
}
