package dev.meridian.user;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A service that keeps something open per request stops accepting connections once the process runs out of file
 * descriptors. It did, after about 20,000 requests: the trusted-proxy list held a bare IPv6 address, which Quarkus
 * read as a host name and looked up in DNS on every request, leaving a UDP socket behind each time.
 */
@QuarkusTest
class OpenFilesTest {

    private static final int REQUESTS = 300;
    /** In flight at once: as many client connections, each kept open by the client's pool (and counted here). */
    private static final int CONCURRENCY = 25;

    @TestHTTPResource("/v1/users/me")
    URL me;

    @Test
    void hundredsOfRequestsFromConcurrentClientsLeaveNoOpenFilesBehind() throws Exception {
        String token = UserApi.newUser().getString("access_token");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(me.toString())).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Forwarded", "for=203.0.113.7").build();
        assertEquals(200, http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode()); // warm
        long before = udpSockets();

        Semaphore slots = new Semaphore(CONCURRENCY);
        List<CompletableFuture<HttpResponse<Void>>> calls = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            slots.acquire();
            calls.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, error) -> slots.release()));
        }
        for (CompletableFuture<HttpResponse<Void>> call : calls) {
            assertEquals(200, call.join().statusCode());
        }
        long after = udpSockets();

        assertTrue(after - before < 10, before + " UDP sockets open before " + REQUESTS + " requests, " + after
                + " after");
    }

    /**
     * UDP sockets this JVM (the service under test) holds: its descriptors' socket inodes found in the kernel's UDP
     * tables. TCP is left out: the client's pooled connections are in this process too.
     */
    private static long udpSockets() throws IOException {
        Set<String> udp = new HashSet<>();
        for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
            Path file = Path.of(table);
            if (Files.exists(file)) {
                Files.readAllLines(file).stream().skip(1).map(line -> line.trim().split("\\s+"))
                        .filter(fields -> fields.length > 9).forEach(fields -> udp.add(fields[9]));
            }
        }
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return ""; // closed meanwhile
                }
            }).filter(link -> link.startsWith("socket:[")).map(link -> link.substring(8, link.length() - 1))
                    .filter(udp::contains).count();
        }
    }
}
