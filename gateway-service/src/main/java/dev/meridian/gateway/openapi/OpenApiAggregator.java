package dev.meridian.gateway.openapi;

import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.RouteTable;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.stork.Stork;
import io.smallrye.stork.api.ServiceInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One OpenAPI document for the whole public API: each upstream's own document ({@code /q/openapi}), keeping only the
 * operations a gateway route sends to that upstream, each marked with the security its route needs. Schemas that
 * two services name alike but define differently are renamed {@code <upstream>_<Name>}. Rebuilt at most once a
 * minute; an upstream that cannot be reached is listed under {@code x-meridian-unavailable} and retried next time.
 */
@ApplicationScoped
public class OpenApiAggregator {

    private static final Logger LOG = Logger.getLogger(OpenApiAggregator.class);
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch",
            "trace");
    private static final long REBUILD_MILLIS = 60_000;

    private final RouteTable routes;
    private final HttpClient client;
    private volatile JsonObject document;
    private volatile long builtAt;

    public OpenApiAggregator(RouteTable routes, Vertx vertx) {
        this.routes = routes;
        this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000));
    }

    public Uni<JsonObject> document() {
        JsonObject built = document;
        if (built != null && System.currentTimeMillis() - builtAt < REBUILD_MILLIS) {
            return Uni.createFrom().item(built);
        }
        TreeSet<String> upstreams = new TreeSet<>();
        routes.all().forEach(route -> upstreams.add(route.upstream()));
        JsonObject merged = new JsonObject()
                .put("openapi", "3.0.3")
                .put("info", new JsonObject().put("title", "Meridian API").put("version", "v1").put("description",
                        "Every operation the gateway routes, at the gateway's paths. Authenticate with an access "
                                + "token or an API key (mk_...) as a bearer token."))
                .put("servers", new JsonArray().add(new JsonObject().put("url", "/")))
                .put("paths", new JsonObject())
                .put("components", new JsonObject().put("schemas", new JsonObject()).put("securitySchemes",
                        new JsonObject().put("bearer", new JsonObject().put("type", "http").put("scheme", "bearer"))));
        JsonArray unavailable = new JsonArray();
        return Multi.createFrom().iterable(upstreams)
                .onItem().transformToUniAndConcatenate(upstream -> fetch(upstream)
                        .invoke(doc -> merge(merged, upstream, doc))
                        .onFailure().recoverWithItem(e -> {
                            LOG.debugf("no OpenAPI document from %s: %s", upstream, e);
                            unavailable.add(upstream);
                            return null;
                        }))
                .collect().last()
                .map(ignored -> {
                    if (!unavailable.isEmpty()) {
                        merged.put("x-meridian-unavailable", unavailable);
                    } else {
                        document = merged;
                        builtAt = System.currentTimeMillis();
                    }
                    return merged;
                });
    }

    /** From the first instance that answers. */
    private Uni<JsonObject> fetch(String upstream) {
        return Stork.getInstance().getService(upstream).getInstances().flatMap(instances -> fetch(instances, 0));
    }

    private Uni<JsonObject> fetch(List<ServiceInstance> instances, int index) {
        ServiceInstance instance = instances.get(index);
        Uni<JsonObject> document = Uni.createFrom().completionStage(client.request(new RequestOptions()
                        .setMethod(HttpMethod.GET).setHost(instance.getHost()).setPort(instance.getPort())
                        .setSsl(instance.isSecure()).setURI("/q/openapi?format=json").setTimeout(5000)
                        .addHeader("Accept", "application/json"))
                .compose(request -> request.send())
                .compose(response -> response.statusCode() == 200 ? response.body()
                        : Future.failedFuture("status " + response.statusCode()))
                .map(Buffer::toJsonObject)
                .toCompletionStage());
        return index + 1 < instances.size() ? document.onFailure().recoverWithUni(() -> fetch(instances, index + 1))
                : document;
    }

    private void merge(JsonObject merged, String upstream, JsonObject doc) {
        JsonObject schemas = merged.getJsonObject("components").getJsonObject("schemas");
        JsonObject theirs = doc.getJsonObject("components", new JsonObject()).getJsonObject("schemas", new JsonObject());
        // decided once, on the documents as published, and used for both the schemas and the references to them
        Set<String> clashes = theirs.fieldNames().stream()
                .filter(name -> schemas.containsKey(name) && !schemas.getValue(name).equals(theirs.getValue(name)))
                .collect(Collectors.toSet());
        String text = doc.encode();
        for (String name : clashes) {
            text = text.replace("\"#/components/schemas/" + name + "\"",
                    "\"#/components/schemas/" + upstream + "_" + name + "\"");
        }
        JsonObject renamed = new JsonObject(text);
        renamed.getJsonObject("components", new JsonObject()).getJsonObject("schemas", new JsonObject())
                .forEach(entry -> schemas.put(clashes.contains(entry.getKey()) ? upstream + "_" + entry.getKey()
                        : entry.getKey(), entry.getValue()));
        JsonObject paths = merged.getJsonObject("paths");
        renamed.getJsonObject("paths", new JsonObject()).forEach(entry -> {
            String path = entry.getKey();
            // path parameters stand for one segment each when matching routes
            String concrete = path.replaceAll("\\{[^/}]+}", "x");
            JsonObject operations = (JsonObject) entry.getValue();
            for (String method : List.copyOf(operations.fieldNames())) {
                if (!METHODS.contains(method)) {
                    continue;
                }
                routes.match(method.toUpperCase(Locale.ROOT), concrete)
                        .filter(route -> route.upstream().equals(upstream))
                        .ifPresent(route -> {
                            JsonObject operation = operations.getJsonObject(method).copy();
                            operation.put("security", route.auth() == GatewayConfig.Auth.PUBLIC ? new JsonArray()
                                    : new JsonArray().add(new JsonObject().put("bearer", new JsonArray())));
                            JsonObject target = paths.getJsonObject(path);
                            if (target == null) {
                                target = new JsonObject();
                                paths.put(path, target);
                            }
                            target.put(method, operation);
                        });
            }
        });
    }
}
