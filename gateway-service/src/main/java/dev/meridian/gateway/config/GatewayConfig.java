package dev.meridian.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Routes, upstreams and edge identity. Defaults live in application.properties and are overridable by env. */
@ConfigMapping(prefix = "meridian.gateway")
public interface GatewayConfig {

    /** By name, e.g. {@code users}, {@code inference}. */
    Map<String, Upstream> upstreams();

    /** By route id; the longest matching path wins, an exact path beats a prefix. */
    Map<String, Route> routes();

    Jwt jwt();

    interface Upstream {
        /** One or more base URLs, e.g. {@code http://127.0.0.1:8081}. */
        List<String> urls();
    }

    interface Route {
        /** A path prefix ({@code /v1/users}) that also matches everything below it, or an exact path. */
        String path();

        @WithDefault("false")
        boolean exact();

        /** Methods this route applies to; empty means all. */
        Optional<List<String>> methods();

        String upstream();

        @WithDefault("authenticated")
        Auth auth();

        @WithDefault("PT30S")
        Duration timeout();
    }

    enum Auth { PUBLIC, AUTHENTICATED, ADMIN }

    interface Jwt {
        String jwksUrl();

        @WithDefault("https://meridian.dev/user-service")
        String issuer();

        @WithDefault("meridian")
        String audience();

        @WithDefault("PT30S")
        Duration clockSkew();

        /** Background refresh of the key set. */
        @WithDefault("PT5M")
        Duration refreshInterval();

        /** An unknown kid triggers at most one refresh per this interval. */
        @WithDefault("PT10S")
        Duration unknownKidRefreshInterval();
    }
}
