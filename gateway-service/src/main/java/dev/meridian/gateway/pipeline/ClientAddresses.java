package dev.meridian.gateway.pipeline;

import dev.meridian.gateway.config.GatewayConfig;
import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Who the client is, for per-address limits, the access log and the forwarding headers. Behind trusted proxies (the
 * ingress) the TCP peer is the proxy, so the client is the rightmost hop of {@code X-Forwarded-For} (else
 * {@code Forwarded}) that is not a trusted proxy itself, as nginx's {@code real_ip_recursive} does: everything left of
 * it was written by the client and proves nothing. A peer that is not trusted is the client, whatever it sent.
 */
@Singleton
public class ClientAddresses {

    private final List<IpSubnetFilterRule> trusted;

    @Inject
    public ClientAddresses(GatewayConfig config) {
        this(config.trustedProxies().orElse(List.of()));
    }

    ClientAddresses(List<String> cidrs) {
        List<IpSubnetFilterRule> rules = new ArrayList<>();
        for (String cidr : cidrs) {
            String trimmed = cidr.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int slash = trimmed.indexOf('/');
            String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
            byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
            if (bytes == null) {
                throw new IllegalArgumentException("meridian.gateway.trusted-proxies: '" + trimmed
                        + "' is not an address or CIDR");
            }
            int prefix;
            try {
                prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(trimmed.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("meridian.gateway.trusted-proxies: '" + trimmed
                        + "' has no valid prefix length", e);
            }
            rules.add(new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT));
        }
        this.trusted = List.copyOf(rules);
    }

    /** The TCP peer of a request, as text ("unknown" without one). */
    public static String peer(HttpServerRequest request) {
        return request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    }

    /** Who sent a request, and whether its forwarding headers come from a proxy the gateway trusts. */
    public record Client(String address, boolean viaTrustedProxy) {
    }

    public Client client(HttpServerRequest request) {
        String peer = peer(request);
        if (trusted.isEmpty() || !isTrusted(peer)) {
            return new Client(peer, false);
        }
        return new Client(forwardedClient(peer, request), true);
    }

    /** The rightmost hop a trusted proxy recorded that is not itself trusted. */
    private String forwardedClient(String peer, HttpServerRequest request) {
        List<String> hops = hops(request.getHeader("X-Forwarded-For"), request.getHeader("Forwarded"));
        String client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            String hop = hops.get(i);
            if (NetUtil.createByteArrayFromIpAddressString(hop) == null) {
                // a hop that is no address (a forged or obfuscated one): the last proxy we trust forwarded it
                return client;
            }
            client = hop;
            if (!isTrusted(hop)) {
                return hop;
            }
        }
        return client;
    }

    /** Whether {@code address} (a literal IP) is one of the trusted proxies. */
    public boolean isTrusted(String address) {
        InetAddress ip = NetUtil.createInetAddressFromIpAddressString(address);
        if (ip == null) {
            return false;
        }
        InetSocketAddress socket = new InetSocketAddress(ip, 0);
        for (IpSubnetFilterRule rule : trusted) {
            if (rule.matches(socket)) {
                return true;
            }
        }
        return false;
    }

    /** The hops a proxy chain recorded, leftmost first: X-Forwarded-For's, else Forwarded's {@code for=} values. */
    static List<String> hops(String xForwardedFor, String forwarded) {
        List<String> hops = new ArrayList<>();
        if (xForwardedFor != null) {
            for (String hop : xForwardedFor.split(",")) {
                hops.add(strip(hop.trim()));
            }
            return hops;
        }
        if (forwarded != null) {
            for (String element : forwarded.split(",")) {
                for (String pair : element.split(";")) {
                    String trimmed = pair.trim();
                    if (trimmed.regionMatches(true, 0, "for=", 0, 4)) {
                        hops.add(strip(trimmed.substring(4).replace("\"", "")));
                    }
                }
            }
        }
        return hops;
    }

    /** An address as written in a header: {@code [v6]:port}, {@code v4:port}, or bare. */
    private static String strip(String hop) {
        String value = hop.toLowerCase(Locale.ROOT);
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            return end < 0 ? value : value.substring(1, end);
        }
        int colon = value.indexOf(':');
        return colon >= 0 && colon == value.lastIndexOf(':') ? value.substring(0, colon) : value;
    }
}
