package dev.meridian.inference;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;

@QuarkusTest
class PlatformEndpointsTest {

    @Test
    void readinessCoversPostgresKafkaAndWarmModelsButNotTheBestEffortCacheRedis() {
        // Ready only once every model has run its warm-up batch, which happens in the background after start.
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> given().get("/q/health/ready").statusCode() == 200);
        given().when().get("/q/health/ready")
                .then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItems(
                        "Reactive PostgreSQL connections health check",
                        "Kafka connection health check",
                        "Models warmed up"))
                .body("checks.name", not(hasItem("Redis connection health check")))
                .body("checks.find { it.name == 'Models warmed up' }.data", equalTo(Map.of(
                        "all-minilm-l6-v2:int8", "ready", "all-minilm-l6-v2:fp32", "ready",
                        "bge-small-en-v1.5:int8", "ready", "e5-small-v2:int8", "ready")));
    }

    @Test
    void livenessIsUp() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void prometheusMetricsAreExposed() {
        given().when().get("/q/metrics")
                .then().statusCode(200)
                .body(containsString("jvm_memory_used_bytes"));
    }

    @Test
    void openApiDocumentIsServed() {
        given().accept("application/json").when().get("/q/openapi")
                .then().statusCode(200)
                .body("openapi", containsString("3."));
    }
}
