import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The floor for any gateway on this stack: a reverse proxy in plain Vert.x (the version the gateway runs on), with no
 * routing, policies, metrics or tracing; keep-alive pool, streamed bodies, headers passed as they are. Run by bench.sh
 * as a single-file program on the gateway's own jars: java -cp 'lib/main/*' BareVertxProxy.java PORT UPSTREAM_PORT
 */
public class BareVertxProxy {

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        int upstreamPort = Integer.parseInt(args[1]);
        // -Dloops as the gateway's quarkus.vertx.event-loops-pool-size; both default to 2 x cores
        int loops = Integer.getInteger("loops", 2 * Runtime.getRuntime().availableProcessors());
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops)
                // epoll when on the class path, as the gateway
                .setPreferNativeTransport(true));
        vertx.deployVerticle(() -> new AbstractVerticle() {
            private HttpClient client;

            @Override
            public void start() {
                client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                        new PoolOptions().setHttp1MaxSize(64));
                vertx.createHttpServer().requestHandler(this::forward).listen(port, "127.0.0.1");
            }

            private void forward(HttpServerRequest request) {
                request.pause();
                RequestOptions options = new RequestOptions().setMethod(request.method()).setHost("127.0.0.1")
                        .setPort(upstreamPort).setURI(request.uri())
                        .setHeaders(MultiMap.caseInsensitiveMultiMap().addAll(request.headers()));
                client.request(options)
                        .compose(upstream -> upstream.send(request))
                        .onSuccess(answer -> {
                            request.response().setStatusCode(answer.statusCode());
                            request.response().headers().addAll(answer.headers());
                            answer.pipeTo(request.response());
                        })
                        .onFailure(e -> request.response().setStatusCode(502).end());
            }
        }, new DeploymentOptions().setInstances(loops));
    }
}
