package dev.meridian.gateway.auth.client;

import dev.meridian.gateway.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.enterprise.context.ApplicationScoped;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.lang.JoseException;

import java.net.URI;
import java.security.PublicKey;
import java.util.HashMap;
import java.util.Map;

/** Fetches user-service's JWKS; keeps only RSA signing keys, by kid. */
@ApplicationScoped
public class JwksClient {

    private final HttpClient http;
    private final URI url;

    public JwksClient(Vertx vertx, GatewayConfig config) {
        this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000).setIdleTimeout(30));
        this.url = URI.create(config.jwt().jwksUrl());
    }

    public Future<Map<String, PublicKey>> fetch() {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url.toString())
                .setTimeout(3000);
        return http.request(request)
                .compose(req -> req.send())
                .compose(response -> response.statusCode() == 200
                        ? response.body()
                        : Future.failedFuture("JWKS answered " + response.statusCode()))
                .map(body -> parse(body.toString()));
    }

    static Map<String, PublicKey> parse(String json) {
        try {
            Map<String, PublicKey> keys = new HashMap<>();
            for (JsonWebKey jwk : new JsonWebKeySet(json).getJsonWebKeys()) {
                if (jwk instanceof PublicJsonWebKey key && "RSA".equals(jwk.getKeyType()) && jwk.getKeyId() != null) {
                    keys.put(jwk.getKeyId(), key.getPublicKey());
                }
            }
            return Map.copyOf(keys);
        } catch (JoseException e) {
            throw new IllegalArgumentException("JWKS is not a valid JSON Web Key Set", e);
        }
    }
}
