package dev.meridian.bench.scg;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cloud.gateway.filter.ratelimit.KeyResolver;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Row (s) of the gateway benchmark: Spring Cloud Gateway as its documentation sets it up for production, with the
 * policies of Meridian's row (d): a JWT verified against user-service's JWKS (RS256), and Redis rate limiting per
 * token subject ({@code RequestRateLimiter} with {@code RedisRateLimiter}). Routes are in application.yml.
 */
@SpringBootApplication
public class ScgBenchApplication {

    public static void main(String[] args) {
        SpringApplication.run(ScgBenchApplication.class, args);
    }

    @Bean
    SecurityWebFilterChain security(ServerHttpSecurity http) {
        return http
                .authorizeExchange(exchange -> exchange
                        .pathMatchers("/bench/open/**", "/actuator/health/**").permitAll()
                        .anyExchange().authenticated())
                .oauth2ResourceServer(server -> server.jwt(jwt -> { }))
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .build();
    }

    /** The limit's key: the verified token's subject, as the gateway's per-user limit. */
    @Bean
    KeyResolver subjectKeyResolver() {
        return exchange -> exchange.getPrincipal().map(principal -> principal.getName())
                .switchIfEmpty(Mono.error(new IllegalStateException("no principal on a limited route")));
    }
}
