package dev.meridian.gateway.auth.client;

import dev.meridian.gateway.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;

/** Exchanges an API key for an access JWT at user-service ({@code grant_type=api_key}). */
@ApplicationScoped
public class TokenExchangeClient {

    /** The key was refused (unknown, expired, revoked): the caller's problem, not an outage. */
    public static final class KeyRefused extends RuntimeException {
        KeyRefused(String message) {
            super(message, null, false, false);
        }
    }

    /** Every exchange connection is busy and the queue for them is full. */
    public static final class ExchangeBusy extends RuntimeException {
        ExchangeBusy(Throwable cause) {
            super("API-key exchange queue full", cause, false, false);
        }
    }

    public record Exchanged(String accessToken, long expiresInSeconds) {
    }

    private final HttpClient http;
    private final String url;

    public TokenExchangeClient(Vertx vertx, GatewayConfig config) {
        // a bounded queue: a flood of keys gets refused at once instead of making every key user wait behind it
        this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000).setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(config.jwt().exchangeConcurrency())
                        .setMaxWaitQueueSize(config.jwt().exchangeQueue()));
        this.url = config.jwt().tokenUrl();
    }

    public Future<Exchanged> exchange(String apiKey) {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url).setTimeout(5000)
                .putHeader("Content-Type", "application/json");
        String body = new JsonObject().put("grant_type", "api_key").put("api_key", apiKey).encode();
        return http.request(request)
                .recover(e -> Future.failedFuture(e instanceof ConnectionPoolTooBusyException ? new ExchangeBusy(e) : e))
                .compose(req -> req.send(body))
                .compose(response -> response.body().compose(payload -> {
                    if (response.statusCode() == 200) {
                        JsonObject json = payload.toJsonObject();
                        return Future.succeededFuture(new Exchanged(json.getString("access_token"),
                                json.getLong("expires_in", 0L)));
                    }
                    if (response.statusCode() == 400 || response.statusCode() == 401) {
                        return Future.failedFuture(new KeyRefused("API key is invalid, expired or revoked"));
                    }
                    return Future.failedFuture("token endpoint answered " + response.statusCode());
                }));
    }
}
