package dev.meridian.gateway;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whatever clients send, the request metrics keep a bounded number of series: every tag comes from a closed set. */
@QuarkusTest
class MetricBoundsTest {

    private static final Pattern SERIES = Pattern.compile("^(meridian_gateway_requests_seconds_count|"
            + "http_server_requests_seconds_count|http_server_requests_seconds_max)\\{(.*)}", Pattern.MULTILINE);
    private static final Pattern METHOD = Pattern.compile("method=\"([^\"]*)\"");
    private static final Set<String> KNOWN = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other");

    @TestHTTPResource("/")
    URL gateway;

    @Test
    void fiftyThousandRequestsWithInventedMethodsAndPathsAddABoundedNumberOfSeries() throws Exception {
        List<String> before = series();
        List<HttpMethod> standard = List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE);
        Map<Integer, Integer> statuses;
        try (TestLoad load = new TestLoad(gateway.getPort(), 64, null)) {
            statuses = load.run(50_000, 64, i -> new RequestOptions()
                    .setMethod(i % 5 == 0 ? standard.get(i % standard.size()) : HttpMethod.valueOf("M" + i))
                    .setURI((i % 3 == 0 ? "/v1/users/" : "/x/") + UUID.randomUUID() + "?q=" + i));
        }
        assertEquals(50_000, statuses.values().stream().mapToInt(Integer::intValue).sum() - statuses.getOrDefault(-1, 0),
                "every request answered: " + statuses);
        List<String> after = series();
        for (String labels : after) {
            Matcher method = METHOD.matcher(labels);
            assertTrue(!method.find() || KNOWN.contains(method.group(1)), "a series with a client's method: " + labels);
            assertTrue(!labels.contains("/x/") && !labels.contains("/v1/users/"),
                    "a series with a client's path: " + labels);
        }
        // 50,000 distinct method/path pairs fall into a few series: route none or users, 8 methods, 4xx
        assertTrue(after.size() - before.size() <= 40, (after.size() - before.size()) + " new series: " + after);
    }

    private List<String> series() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher matcher = SERIES.matcher(metrics);
        List<String> found = new java.util.ArrayList<>();
        while (matcher.find()) {
            found.add(matcher.group(1) + "{" + matcher.group(2) + "}");
        }
        return found;
    }
}
