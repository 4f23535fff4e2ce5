package dev.meridian.user.webhook.service;

import dev.meridian.deadline.CallerContext;
import dev.meridian.user.service.ServiceException;
import dev.meridian.user.webhook.config.WebhookConfig;
import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Keeps webhooks away from the platform's own network (SSRF): a target must be http(s) without credentials, and every
 * address its host resolves to must be public, unless an operator allowed that network. Checked when an endpoint is
 * saved and again at every delivery, on the address the delivery then connects to (so a name re-pointed at an
 * internal address later is refused too).
 */
@ApplicationScoped
public class TargetGuard {

    static final int MAX_URL_LENGTH = 2048;

    /**
     * Loopback, private, shared (CGNAT), link-local (cloud metadata lives there), documentation, multicast, reserved.
     * IPv4-mapped IPv6 addresses need no rule: Java reads them as the IPv4 address they map.
     */
    private static final List<IpSubnetFilterRule> INTERNAL = Stream.of(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
            "224.0.0.0/4", "240.0.0.0/4",
            "::/128", "::1/128", "64:ff9b::/96", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10",
            "ff00::/8").map(TargetGuard::rule).toList();

    private final List<IpSubnetFilterRule> allowed;

    public TargetGuard(WebhookConfig config) {
        this.allowed = config.allowedNetworks().orElse(List.of()).stream().map(TargetGuard::rule).toList();
    }

    /** A target's form: absolute http(s) URL with a host, no user info, no fragment, at most 2048 characters. */
    public URI parse(String url) {
        if (url == null || url.isBlank() || url.length() > MAX_URL_LENGTH) {
            throw invalid("url must be an http(s) URL of at most " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw invalid("url is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw invalid("url must start with https:// or http://");
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw invalid("url needs a host and may not carry credentials or a fragment");
        }
        return uri;
    }

    /**
     * Every address of the host, checked, resolved on a worker (DNS blocks) and answered on the caller's context;
     * fails with {@link TargetRefusedException}. A name that does not resolve gives an empty list: it may resolve
     * later, and is checked again then.
     */
    public Uni<List<InetAddress>> resolve(URI uri) {
        return CallerContext.onWorker(() -> addresses(uri));
    }

    private List<InetAddress> addresses(URI uri) {
        List<InetAddress> addresses;
        try {
            addresses = List.of(InetAddress.getAllByName(hostOf(uri)));
        } catch (UnknownHostException e) {
            return List.of();
        }
        for (InetAddress address : addresses) {
            if (!permitted(address)) {
                throw new TargetRefusedException(uri.getHost() + " resolves to " + address.getHostAddress()
                        + ", an internal address webhooks may not reach");
            }
        }
        return addresses;
    }

    public boolean permitted(InetAddress address) {
        InetSocketAddress socket = new InetSocketAddress(address, 0);
        if (allowed.stream().anyMatch(rule -> rule.matches(socket))) {
            return true;
        }
        return INTERNAL.stream().noneMatch(rule -> rule.matches(socket));
    }

    /** The host as InetAddress reads it: IPv6 literals without their brackets. */
    public static String hostOf(URI uri) {
        String host = uri.getHost();
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    private static IpSubnetFilterRule rule(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR (address/prefix): " + cidr);
        }
        return new IpSubnetFilterRule(cidr.substring(0, slash), Integer.parseInt(cidr.substring(slash + 1)),
                IpFilterRuleType.ACCEPT);
    }

    private static ServiceException invalid(String detail) {
        return new ServiceException(ServiceException.Kind.INVALID, detail, "url");
    }

    /** The target is, or resolves to, an address webhooks may not reach. */
    public static class TargetRefusedException extends RuntimeException {
        public TargetRefusedException(String message) {
            super(message, null, false, false);
        }
    }
}
