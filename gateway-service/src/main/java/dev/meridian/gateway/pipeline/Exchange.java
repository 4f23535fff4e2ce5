package dev.meridian.gateway.pipeline;

import dev.meridian.gateway.auth.EdgeTokenVerifier.Identity;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

/**
 * One request on its way through the gateway: what the steps found out about it and what they prepared for the
 * upstream. It rides on the routing context under {@link #KEY}, the only request attribute the gateway sets, so the
 * access log and the error answers read the same facts the steps wrote.
 */
public final class Exchange {

    private static final String KEY = "meridian.exchange";

    private final RoutingContext ctx;
    private final String requestId;
    private final String clientIp;
    private final boolean viaTrustedProxy;
    private RouteTable.Route route;
    private Identity identity;
    private MultiMap upstreamHeaders;
    private String upstreamAddress;

    /**
     * @param clientIp        the client's address ({@link ClientAddresses})
     * @param viaTrustedProxy the TCP peer is a trusted proxy, so the forwarding headers it sent are kept
     */
    public Exchange(RoutingContext ctx, String requestId, String clientIp, boolean viaTrustedProxy) {
        this.ctx = ctx;
        this.requestId = requestId;
        this.clientIp = clientIp;
        this.viaTrustedProxy = viaTrustedProxy;
        ctx.put(KEY, this);
    }

    /** The exchange of a request the gateway handles, or null for one it never took (its own /q/ endpoints). */
    public static Exchange of(RoutingContext ctx) {
        return ctx.get(KEY);
    }

    public RoutingContext ctx() {
        return ctx;
    }

    public String requestId() {
        return requestId;
    }

    /** The client's address: the TCP peer's, or behind trusted proxies the one they forwarded. */
    public String clientIp() {
        return clientIp;
    }

    public boolean viaTrustedProxy() {
        return viaTrustedProxy;
    }

    /** The matched route; null until the route step found one. */
    public RouteTable.Route route() {
        return route;
    }

    public void route(RouteTable.Route route) {
        this.route = route;
    }

    /** The verified caller; null for an anonymous caller (of a public route) and before authentication. */
    public Identity identity() {
        return identity;
    }

    public void identity(Identity identity) {
        this.identity = identity;
    }

    /** The request headers as the upstream gets them; null until the identity headers step built them. */
    public MultiMap upstreamHeaders() {
        return upstreamHeaders;
    }

    public void upstreamHeaders(MultiMap headers) {
        this.upstreamHeaders = headers;
    }

    /** host:port of the instance the request went to last; null while none was chosen. */
    public String upstreamAddress() {
        return upstreamAddress;
    }

    public void upstreamAddress(String address) {
        this.upstreamAddress = address;
    }
}
