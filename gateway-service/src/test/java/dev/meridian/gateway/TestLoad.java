package dev.meridian.gateway;

import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Many clients at once against the gateway: {@code inFlight} requests on as many connections at every moment until
 * {@code total} were answered. A client may connect from another loopback address ({@code 127.0.0.2} is the trusted
 * proxy in the tests), as an ingress would.
 */
final class TestLoad implements AutoCloseable {

    /** Stands in for the ingress: the test profile trusts it as a proxy. */
    static final String TRUSTED_PROXY = "127.0.0.2";

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client;

    TestLoad(int port, int connections, String localAddress) {
        HttpClientOptions options = new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
                .setKeepAlive(true).setConnectTimeout(10_000);
        if (localAddress != null) {
            options.setLocalAddress(localAddress);
        }
        this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(connections)
                .setMaxWaitQueueSize(-1));
    }

    /** Statuses counted (-1: no answer), and each answer shown to {@code inspect} first (on an event loop). */
    Map<Integer, Integer> run(int total, int inFlight, IntFunction<RequestOptions> request,
                              Consumer<HttpClientResponse> inspect) throws Exception {
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        CompletableFuture<Void> finished = new CompletableFuture<>();
        Runnable[] sendNext = new Runnable[1];
        sendNext[0] = () -> {
            int index = next.getAndIncrement();
            if (index >= total) {
                return;
            }
            RequestOptions options = request.apply(index).setTimeout(30_000);
            boolean withBody = options.getMethod() == HttpMethod.POST || options.getMethod() == HttpMethod.PUT;
            client.request(options).compose(req -> withBody ? req.send("{}") : req.send())
                    .compose(response -> {
                        inspect.accept(response);
                        return response.body().map(ignored -> response.statusCode());
                    })
                    .recover(e -> Future.succeededFuture(-1))
                    .onComplete(status -> {
                        statuses.computeIfAbsent(status.result(), s -> new AtomicInteger()).incrementAndGet();
                        if (done.incrementAndGet() == total) {
                            finished.complete(null);
                        } else {
                            sendNext[0].run();
                        }
                    });
        };
        vertx.runOnContext(v -> {
            for (int i = 0; i < Math.min(inFlight, total); i++) {
                sendNext[0].run();
            }
        });
        finished.get(5, TimeUnit.MINUTES);
        Map<Integer, Integer> counted = new TreeMap<>();
        statuses.forEach((status, count) -> counted.put(status, count.get()));
        return counted;
    }

    Map<Integer, Integer> run(int total, int inFlight, IntFunction<RequestOptions> request) throws Exception {
        return run(total, inFlight, request, response -> { });
    }

    /** Every test calls from loopback: a test counting an address's budget starts with all of it. */
    static void forgetLoopbackBudgets(RedisDataSource redis) {
        redis.key().keys("meridian:rl:anonymous:*:ip:{127.0.0.*").forEach(key -> redis.key().del(key));
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}
