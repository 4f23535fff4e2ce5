package dev.meridian.gateway.auth;

import dev.meridian.gateway.auth.client.JwksClient;
import dev.meridian.gateway.config.GatewayConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.security.PublicKey;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * user-service's public keys: fetched at start, refreshed in the background, refreshed on an unknown kid at most once
 * per interval (so forged kids cannot hammer user-service), and served stale when user-service is unreachable.
 */
@ApplicationScoped
public class JwksKeyCache {

    private static final Logger LOG = Logger.getLogger(JwksKeyCache.class);

    private final JwksClient client;
    private final Vertx vertx;
    private final GatewayConfig.Jwt config;
    /** null until a key set was loaded once. */
    private volatile Map<String, PublicKey> keys;
    private volatile long lastUnknownKidRefresh = Long.MIN_VALUE / 2;
    private volatile Future<Void> inFlight;

    private final Counter refreshed;
    private final Counter refreshFailed;
    private final Counter firstLoadFailed;

    public JwksKeyCache(JwksClient client, Vertx vertx, GatewayConfig config, MeterRegistry meters) {
        this.client = client;
        this.vertx = vertx;
        this.config = config.jwt();
        // an alert watches failures: a gateway serving a stale key set will refuse tokens signed by a newer key.
        // Failures before the first load are counted apart (the loaded gauge covers them): at start, user-service
        // may simply not be up yet.
        this.refreshed = refreshes(meters, "success");
        this.refreshFailed = refreshes(meters, "failure");
        this.firstLoadFailed = refreshes(meters, "unavailable");
        Gauge.builder("meridian.gateway.jwks.loaded", this, cache -> cache.loaded() ? 1 : 0)
                .description("1 once a key set was loaded").register(meters);
    }

    private static Counter refreshes(MeterRegistry meters, String result) {
        return Counter.builder("meridian.gateway.jwks.refreshes").tag("result", result).register(meters);
    }

    void onStart(@Observes StartupEvent event) {
        refreshUntilLoaded(Duration.ofSeconds(1));
        vertx.setPeriodic(config.refreshInterval().toMillis(), id -> refresh());
    }

    /** user-service may start after the gateway: retry with backoff rather than wait a whole refresh interval. */
    private void refreshUntilLoaded(Duration delay) {
        refresh().onComplete(ignored -> {
            if (!loaded()) {
                Duration doubled = delay.multipliedBy(2);
                Duration next = doubled.compareTo(config.refreshInterval()) < 0 ? doubled : config.refreshInterval();
                vertx.setTimer(delay.toMillis(), id -> refreshUntilLoaded(next));
            }
        });
    }

    public boolean loaded() {
        return keys != null;
    }

    /** The key for a kid, refreshing once (rate-limited) when the kid is new to us. */
    public Future<Optional<PublicKey>> key(String kid) {
        Map<String, PublicKey> current = keys;
        if (current != null && kid != null && current.containsKey(kid)) {
            return Future.succeededFuture(Optional.of(current.get(kid)));
        }
        long now = System.nanoTime();
        if (current == null || now - lastUnknownKidRefresh >= config.unknownKidRefreshInterval().toNanos()) {
            lastUnknownKidRefresh = now;
            return refresh().transform(ignored -> Future.succeededFuture(lookup(kid)));
        }
        return Future.succeededFuture(lookup(kid));
    }

    public Optional<PublicKey> lookup(String kid) {
        Map<String, PublicKey> current = keys;
        return current == null || kid == null ? Optional.empty() : Optional.ofNullable(current.get(kid));
    }

    /** One fetch at a time; failures keep the previous (stale) key set. */
    synchronized Future<Void> refresh() {
        if (inFlight != null) {
            return inFlight;
        }
        Future<Void> fetch = client.fetch()
                .onSuccess(fetched -> {
                    keys = fetched;
                    refreshed.increment();
                })
                .onFailure(e -> (keys == null ? firstLoadFailed : refreshFailed).increment())
                .onFailure(e -> LOG.warnf("JWKS refresh from %s failed (%s); %s", config.jwksUrl(), e.getMessage(),
                        keys == null ? "no key set yet: authenticated routes answer 503" : "serving the last key set"))
                .<Void>mapEmpty()
                .recover(e -> Future.succeededFuture());
        inFlight = fetch;
        fetch.onComplete(ignored -> {
            synchronized (this) {
                inFlight = null;
            }
        });
        return fetch;
    }
}
