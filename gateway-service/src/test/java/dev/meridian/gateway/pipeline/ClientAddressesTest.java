package dev.meridian.gateway.pipeline;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientAddressesTest {

    private final ClientAddresses addresses = new ClientAddresses(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

    @Test
    void trustedRangesMatchByPrefix() {
        assertTrue(addresses.isTrusted("10.200.3.4"));
        assertTrue(addresses.isTrusted("192.168.1.7"));
        assertFalse(addresses.isTrusted("192.168.1.8"));
        assertTrue(addresses.isTrusted("fd00::1"));
        assertFalse(addresses.isTrusted("2001:db8::1"));
        assertFalse(addresses.isTrusted("not-an-address"));
    }

    @Test
    void hopsComeFromForwardedForElseForwarded() {
        assertEquals(List.of("1.2.3.4", "10.0.0.1"), ClientAddresses.hops("1.2.3.4, 10.0.0.1", "for=9.9.9.9"));
        assertEquals(List.of("2001:db8::1", "10.0.0.1"),
                ClientAddresses.hops(null, "for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.1"));
        assertEquals(List.of("1.2.3.4"), ClientAddresses.hops("1.2.3.4:5678", null));
    }

    @Test
    void aMisconfiguredRangeFailsTheStart() {
        assertThrows(IllegalArgumentException.class, () -> new ClientAddresses(List.of("10.0.0.0/x")));
        assertThrows(IllegalArgumentException.class, () -> new ClientAddresses(List.of("ingress.local")));
    }
}
