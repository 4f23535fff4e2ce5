package dev.meridian.gateway.pipeline;

import dev.meridian.gateway.cache.CachingProxy;
import dev.meridian.gateway.upstream.UpstreamProxy;
import dev.meridian.gateway.upstream.WebSocketProxy;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

/**
 * The last step: a WebSocket upgrade goes to the WebSocket proxy, a GET or HEAD on a route with a cache policy to the
 * response cache, anything else to the upstream as it is. Each of them answers the client.
 */
@Singleton
public class ForwardStep implements Step {

    private final UpstreamProxy proxy;
    private final WebSocketProxy webSockets;
    private final CachingProxy caching;

    public ForwardStep(UpstreamProxy proxy, WebSocketProxy webSockets, CachingProxy caching) {
        this.proxy = proxy;
        this.webSockets = webSockets;
        this.caching = caching;
    }

    @Override
    public Uni<Void> apply(Exchange exchange) {
        if (WebSocketProxy.isUpgrade(exchange.ctx())) {
            webSockets.forward(exchange);
        } else if (CachingProxy.applies(exchange)) {
            caching.handle(exchange);
        } else {
            proxy.forward(exchange);
        }
        return NEXT;
    }
}
