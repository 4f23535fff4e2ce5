package dev.meridian.gateway.redis;

import dev.meridian.gateway.config.GatewayConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * Whether Redis answers, measured on Redis and not on the gateway's own queue: a PING every probe interval from an
 * event loop of its own, which no request shares, so a gateway busy with a burst never mistakes its own backlog for a
 * slow Redis. A ping still unanswered at the next tick is a miss; several misses in a row, or a connection error, make
 * Redis unhealthy until a ping is answered in time again.
 */
public class RedisHealth {

    private static final Logger LOG = Logger.getLogger(RedisHealth.class);

    private final String name;
    private final Vertx prober;
    private final Redis client;
    private final long intervalNanos;
    private final long abandonAfterNanos;
    private final int unhealthyAfter;
    private volatile boolean healthy = true;
    private final long timer;
    private volatile boolean closed;
    /** Only the prober's one event loop touches these. */
    private long probeSentAt;
    private int misses;

    /**
     * @param name       which Redis this is ({@code state} or {@code cache}): the gauge's {@code redis} tag and the logs
     * @param hosts      the client's {@code quarkus.redis[.name].hosts}; the first is probed, or, on a cluster, the
     *                   cluster through all of them (a master of the cluster answers while the cluster serves)
     * @param clientType the client's {@code client-type}: {@code standalone} or {@code cluster}
     */
    public RedisHealth(String name, String hosts, String clientType, Optional<String> password, GatewayConfig config,
                       MeterRegistry meters) {
        GatewayConfig.Redis redis = config.redis();
        this.name = name;
        this.intervalNanos = redis.probeInterval().toNanos();
        this.abandonAfterNanos = redis.maxWait().toNanos();
        this.unhealthyAfter = redis.unhealthyAfterMisses();
        this.prober = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
        RedisOptions options = new RedisOptions().setMaxPoolSize(2).setMaxPoolWaiting(4);
        if ("cluster".equalsIgnoreCase(clientType)) {
            options.setType(RedisClientType.CLUSTER);
            for (String host : hosts.split(",")) {
                options.addConnectionString(host.trim());
            }
        } else {
            options.setConnectionString(hosts.split(",")[0].trim());
        }
        password.ifPresent(options::setPassword);
        this.client = Redis.createClient(prober, options);
        Gauge.builder("meridian.gateway.redis.healthy", this, h -> h.healthy ? 1 : 0).tag("redis", name)
                .description("1 while Redis answers the gateway's health probe in time").register(meters);
        timer = prober.setPeriodic(redis.probeInterval().toMillis(), id -> probe());
    }

    public boolean healthy() {
        return healthy;
    }

    private void probe() {
        long now = System.nanoTime();
        if (probeSentAt != 0) {
            if (now - probeSentAt > abandonAfterNanos) {
                // a connection that swallows pings without an error: stop waiting for it, ping afresh
                probeSentAt = 0;
            }
            missed();
            return;
        }
        long sent = now;
        probeSentAt = sent;
        client.send(Request.cmd(Command.PING)).onComplete(reply -> {
            if (closed || probeSentAt != sent) {
                return; // abandoned
            }
            probeSentAt = 0;
            if (reply.failed()) {
                // refused, reset or closed: no need to wait for more misses
                misses = unhealthyAfter - 1;
                missed();
            } else if (System.nanoTime() - sent <= intervalNanos) {
                answered();
            }
        });
    }

    private void missed() {
        if (++misses >= unhealthyAfter && healthy) {
            healthy = false;
            LOG.warnf("Redis (%s) unhealthy: %d health probes in a row failed or unanswered within %d ms", name,
                    misses, intervalNanos / 1_000_000);
        }
    }

    private void answered() {
        misses = 0;
        if (!healthy) {
            healthy = true;
            LOG.infof("Redis (%s) healthy again", name);
        }
    }

    /**
     * Stops probing and closes the connection before the prober's Vert.x: closing Vert.x under an open connection fails
     * it with an error that nobody handles, and the Redis client logs that at ERROR while the gateway shuts down.
     */
    void close() {
        closed = true;
        prober.runOnContext(v -> {
            prober.cancelTimer(timer);
            client.close();
            prober.close();
        });
    }
}
