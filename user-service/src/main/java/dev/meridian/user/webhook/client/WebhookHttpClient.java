package dev.meridian.user.webhook.client;

import dev.meridian.user.webhook.config.WebhookConfig;
import dev.meridian.user.webhook.service.TargetGuard;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * POSTs one delivery. The host is resolved and checked by {@link TargetGuard} first and the connection goes to the
 * checked address (the Host header and TLS SNI keep the name), so DNS cannot swap in an internal address between
 * check and use. Redirects are not followed, the whole exchange has a deadline, and at most max-response-bytes of
 * the answer are read.
 */
@ApplicationScoped
public class WebhookHttpClient {

    /** What an attempt came to: the status (0 when there was none), why it failed, how long it took. */
    public record Attempt(int status, String error, long latencyMs, String retryAfter, boolean refused) {
        public boolean delivered() {
            return status >= 200 && status < 300;
        }
    }

    private final HttpClient http;
    private final TargetGuard guard;
    private final long requestTimeoutMs;
    private final int maxResponseBytes;

    public WebhookHttpClient(Vertx vertx, TargetGuard guard, WebhookConfig config) {
        this.guard = guard;
        this.requestTimeoutMs = config.requestTimeout().toMillis();
        this.maxResponseBytes = config.maxResponseBytes();
        this.http = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setIdleTimeout((int) config.requestTimeout().toSeconds())
                .setKeepAlive(true)
                .setMaxPoolSize(4)
                .setForceSni(true)
                .setMaxRedirects(0));
    }

    @PreDestroy
    void close() {
        http.close();
    }

    public Uni<Attempt> post(URI url, Map<String, String> headers, String body) {
        long start = System.nanoTime();
        return guard.resolve(url)
                .flatMap(addresses -> addresses.isEmpty()
                        ? Uni.createFrom().item(new Attempt(0, "unknown host " + url.getHost(), elapsed(start), null, false))
                        : send(url, addresses.get(0), headers, body, start))
                .ifNoItem().after(Duration.ofMillis(requestTimeoutMs + 1000)).failWith(TimeoutException::new)
                .onFailure().recoverWithItem(e -> new Attempt(0, e instanceof TargetGuard.TargetRefusedException
                        ? e.getMessage() : describe(e), elapsed(start), null, e instanceof TargetGuard.TargetRefusedException));
    }

    /** Runs on the caller's context (the guard answers there), so the exchange's callbacks come back to it. */
    private Uni<Attempt> send(URI url, InetAddress address, Map<String, String> headers, String body, long start) {
        boolean https = url.getScheme().equalsIgnoreCase("https");
        int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
                .setHost(TargetGuard.hostOf(url))
                .setPort(port)
                .setSsl(https)
                .setURI(path)
                .setFollowRedirects(false)
                .setTimeout(requestTimeoutMs);
        headers.forEach(options::putHeader);
        options.putHeader("content-type", "application/json");
        options.putHeader("user-agent", "Meridian-Webhooks/1");
        return Uni.createFrom().completionStage(() -> http.request(options)
                        .compose(request -> request.send(Buffer.buffer(body)).compose(response -> drain(request, response)))
                        .toCompletionStage())
                .map(response -> new Attempt(response.statusCode(),
                        response.statusCode() >= 200 && response.statusCode() < 300 ? null : "HTTP " + response.statusCode(),
                        elapsed(start), response.getHeader("retry-after"), false));
    }

    /** Reads the body up to the limit; a longer one is cut by resetting the stream (the status is what counts). */
    private Future<HttpClientResponse> drain(HttpClientRequest request, HttpClientResponse response) {
        Promise<HttpClientResponse> done = Promise.promise();
        long[] read = {0};
        response.handler(chunk -> {
            read[0] += chunk.length();
            if (read[0] > maxResponseBytes) {
                request.reset();
                done.tryComplete(response);
            }
        });
        response.exceptionHandler(e -> done.tryComplete(response));
        response.endHandler(ignored -> done.tryComplete(response));
        return done.future();
    }

    private static long elapsed(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static String describe(Throwable e) {
        if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
            return "timed out";
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.length() > 200 ? message.substring(0, 200) : message;
    }
}
