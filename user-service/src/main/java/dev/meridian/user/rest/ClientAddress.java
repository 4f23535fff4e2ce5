package dev.meridian.user.rest;

import io.vertx.core.http.HttpServerRequest;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * The client's address for login throttling. user-service sits behind the gateway, which resolves the client (trusted
 * proxies, X-Forwarded-For) and sends it as {@code Forwarded: for=...}; Quarkus' proxy support
 * ({@code quarkus.http.proxy.*}) takes it from there only when the TCP peer is a trusted proxy, so
 * {@code remoteAddress()} is the client. IPv6 clients count per /64: one host usually has a whole /64 to rotate through.
 */
final class ClientAddress {

    private ClientAddress() {
    }

    static String of(HttpServerRequest request) {
        if (request == null || request.remoteAddress() == null || request.remoteAddress().hostAddress() == null) {
            return "unknown";
        }
        String address = request.remoteAddress().hostAddress();
        if (address.indexOf(':') < 0) {
            return address;
        }
        try {
            // a literal: no name lookup happens
            InetAddress ip = InetAddress.getByName(address.startsWith("[") ? address.substring(1, address.length() - 1)
                    : address);
            if (ip instanceof Inet6Address) {
                byte[] bytes = ip.getAddress();
                StringBuilder prefix = new StringBuilder();
                for (int i = 0; i < 8; i += 2) {
                    prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
                }
                return prefix.append(":/64").toString().toLowerCase(Locale.ROOT);
            }
            return ip.getHostAddress();
        } catch (UnknownHostException e) {
            return address.length() > 64 ? address.substring(0, 64) : address;
        }
    }
}
