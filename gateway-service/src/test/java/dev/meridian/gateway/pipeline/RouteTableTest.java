package dev.meridian.gateway.pipeline;

import dev.meridian.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouteTableTest {

    private static RouteTable.Route route(String id, String path, boolean exact, List<String> methods) {
        return new RouteTable.Route(id, path, exact, methods, "up", GatewayConfig.Auth.AUTHENTICATED,
                Duration.ofSeconds(1), true, Optional.empty(), Optional.empty(), 0, false, false, List.of(), true);
    }

    private final RouteTable table = new RouteTable(List.of(
            route("users", "/v1/users", false, List.of()),
            route("signup", "/v1/users", true, List.of("POST")),
            route("admin-users", "/v1/users/admin", false, List.of()),
            route("root-slash", "/static/", false, List.of())));

    private String match(String method, String path) {
        return table.match(method, path).map(RouteTable.Route::id).orElse(null);
    }

    @Test
    void anExactRouteWinsForItsMethodsOnly() {
        assertEquals("signup", match("POST", "/v1/users"));
        assertEquals("signup", match("post", "/v1/users"));
        assertEquals("users", match("GET", "/v1/users"));
    }

    @Test
    void theLongestPrefixWins() {
        assertEquals("admin-users", match("GET", "/v1/users/admin/42"));
        assertEquals("users", match("GET", "/v1/users/me"));
    }

    @Test
    void aPrefixEndsAtAPathSegment() {
        assertEquals(null, match("GET", "/v1/usersx"));
        // past the longer prefix, the shorter one still takes it
        assertEquals("users", match("GET", "/v1/users/adminx"));
        assertEquals("root-slash", match("GET", "/static/app.js"));
        assertTrue(table.match("GET", "/v2/users").isEmpty());
    }
}
