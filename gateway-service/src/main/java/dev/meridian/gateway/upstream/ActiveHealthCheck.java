package dev.meridian.gateway.upstream;

import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.RouteTable;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.stork.Stork;
import io.smallrye.stork.api.ServiceInstance;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Active health checks: every instance of every upstream is asked for its readiness ({@code /q/health/ready} by
 * default) every interval, so a dead or not-yet-ready instance leaves the rotation before requests find it, and a
 * restarted one returns as soon as it is ready. A check answers within its timeout or counts as not ready.
 */
@Singleton
public class ActiveHealthCheck {

    private final Vertx vertx;
    private final InstanceHealth health;
    private final GatewayConfig.Resilience config;
    private final Set<String> upstreams = new TreeSet<>();
    private final HttpClient client;
    private long timer = -1;

    public ActiveHealthCheck(Vertx vertx, InstanceHealth health, RouteTable routes, GatewayConfig config) {
        this.vertx = vertx;
        this.health = health;
        this.config = config.resilience();
        routes.all().forEach(route -> upstreams.add(route.upstream()));
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                        .setConnectTimeout((int) this.config.healthCheckTimeout().toMillis()),
                new PoolOptions().setHttp1MaxSize(2));
    }

    void start(@Observes StartupEvent event) {
        if (config.healthCheckInterval().isZero()) {
            return;
        }
        checkAll();
        timer = vertx.setPeriodic(config.healthCheckInterval().toMillis(), id -> checkAll());
    }

    void stop(@Observes ShutdownEvent event) {
        vertx.cancelTimer(timer);
    }

    private void checkAll() {
        for (String upstream : upstreams) {
            Stork.getInstance().getService(upstream).getInstances().subscribe().with(instances -> {
                Set<String> keys = new HashSet<>();
                for (ServiceInstance instance : instances) {
                    String key = InstanceHealth.key(upstream, instance.getHost() + ":" + instance.getPort());
                    keys.add(key);
                    check(key, instance);
                }
                health.retain(upstream, keys);
            }, e -> { }); // discovery failing: the instances keep the health they had
        }
    }

    private void check(String key, ServiceInstance instance) {
        client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(instance.getHost())
                        .setPort(instance.getPort()).setSsl(instance.isSecure()).setURI(config.healthCheckPath())
                        .setTimeout(config.healthCheckTimeout().toMillis()))
                .compose(request -> request.send().compose(response -> response.body()
                        .map(ignored -> response.statusCode() / 100 == 2)))
                .onComplete(result -> health.checked(key, result.succeeded() && result.result()));
    }
}
