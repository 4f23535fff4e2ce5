package dev.meridian.inference;

import io.restassured.path.json.JsonPath;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Rounds of calls sent all at once, each on its own connection, as many clients would while a dependency is frozen or
 * down: what each answered, and how long it took.
 */
final class ConcurrentCalls {

    /** One call: the route it stands for (in messages) and the status it should get. */
    record Call(String route, int expected, HttpRequest request) {
    }

    /** {@code status} -1: no answer at all; {@code code}: the OpenAI-style error code of an error answer. */
    record Outcome(String route, int expected, int status, long millis, String retryAfter, String code) {
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final Duration timeout;

    ConcurrentCalls(URL base, Duration timeout) {
        this.base = base.toString().replaceAll("/$", "");
        this.timeout = timeout;
    }

    HttpRequest get(String path, String token) {
        return request(path, token).GET().build();
    }

    HttpRequest json(String path, String token, String body) {
        return request(path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpRequest.Builder request(String path, String token) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Authorization", "Bearer " + token);
    }

    /** Every call at once, each on its own connection. */
    List<Outcome> round(List<Call> calls) {
        List<CompletableFuture<Outcome>> pending = new ArrayList<>();
        for (Call call : calls) {
            long start = System.nanoTime();
            pending.add(http.sendAsync(call.request(), HttpResponse.BodyHandlers.ofString()).handle((response, error) -> {
                long millis = (System.nanoTime() - start) / 1_000_000;
                if (error != null) {
                    return new Outcome(call.route(), call.expected(), -1, millis, null, error.toString());
                }
                String code = response.statusCode() < 300 ? null
                        : JsonPath.from(response.body()).getString("error.code");
                return new Outcome(call.route(), call.expected(), response.statusCode(), millis,
                        response.headers().firstValue("Retry-After").orElse(null), code);
            }));
        }
        return pending.stream().map(CompletableFuture::join).toList();
    }

    /** Per route: its slowest answer. */
    static Map<String, Long> slowest(List<Outcome> outcomes) {
        Map<String, Long> slowest = new LinkedHashMap<>();
        outcomes.forEach(o -> slowest.merge(o.route(), o.millis(), Math::max));
        return slowest;
    }

    /** Per route: the distinct answers ("503 database_unavailable") and the slowest, for the test's log. */
    static Map<String, String> summary(List<Outcome> outcomes) {
        Map<String, List<Outcome>> byRoute = new LinkedHashMap<>();
        outcomes.forEach(o -> byRoute.computeIfAbsent(o.route(), r -> new ArrayList<>()).add(o));
        Map<String, String> summary = new LinkedHashMap<>();
        byRoute.forEach((route, list) -> summary.put(route, list.stream()
                .map(o -> o.status() + (o.code() == null ? "" : " " + o.code())).distinct().toList()
                + ", slowest " + list.stream().mapToLong(Outcome::millis).max().orElse(0) + " ms"));
        return summary;
    }
}
