package dev.meridian.user;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The published API document describes every endpoint: a summary each, and the bearer scheme. */
@QuarkusTest
class OpenApiTest {

    @Test
    void everyOperationHasASummaryAndTheBearerSchemeIsDeclared() {
        JsonPath doc = given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .extract().jsonPath();
        Map<String, Map<String, Map<String, Object>>> paths = doc.getMap("paths");
        List<String> missing = new ArrayList<>();
        int operations = 0;
        for (var path : paths.entrySet()) {
            for (var operation : path.getValue().entrySet()) {
                operations++;
                if (!(operation.getValue().get("summary") instanceof String summary) || summary.isBlank()) {
                    missing.add(operation.getKey().toUpperCase() + " " + path.getKey());
                }
            }
        }
        assertEquals(List.of(), missing, "operations without a summary");
        assertTrue(operations >= 18, "only " + operations + " operations documented");
        assertTrue(doc.getMap("components.securitySchemes").size() >= 1, "no security scheme declared");
    }
}
