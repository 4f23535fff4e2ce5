package dev.meridian.local.platform;

import dev.meridian.local.infra.Ports;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./platform} as a newcomer runs it, on free ports and in a throwaway platform directory, so a test stays clear
 * of a platform a developer may be running.
 */
final class LocalPlatform {

    static final Path REPO = Path.of("../../..").toAbsolutePath().normalize();

    /** PostgreSQL, Redis, Kafka, its controller, gateway, user-service, inference-service, Zipkin, the cache Redis. */
    final int[] ports = withSecondInstances(Ports.free(9));
    final Path dir;

    LocalPlatform(Path dir) {
        this.dir = dir;
    }

    int gatewayPort() {
        return ports[4];
    }

    /**
     * A base for {@code --redis-cluster-port}: the state nodes on base..base+5 and the cache nodes on base+10..base+12
     * free, and each node's cluster bus (port + 10000) too.
     */
    int freeRedisClusterBase() {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int base = Ports.freeWithClusterBus(1)[0];
            if (java.util.stream.IntStream.of(0, 1, 2, 3, 4, 5, 10, 11, 12).allMatch(i -> bindable(base + i)
                    && Arrays.stream(ports).noneMatch(p -> p == base + i || p == base + i + Ports.CLUSTER_BUS_OFFSET)
                    && bindable(base + i + Ports.CLUSTER_BUS_OFFSET) && base + i + Ports.CLUSTER_BUS_OFFSET < 32768)) {
                return base;
            }
        }
        throw new IllegalStateException("no room for a local Redis Cluster");
    }

    /** Room for more instances: each {@code ports[index] + offset} free and clear of the other ports. */
    void reserveAfter(int index, int... offsets) {
        while (java.util.Arrays.stream(offsets).anyMatch(offset -> {
            int port = ports[index] + offset;
            return Arrays.stream(ports).anyMatch(p -> p == port) || index != 6 && port == ports[6] + 1
                    || index != 5 && port == ports[5] + 10 || !bindable(port);
        })) {
            ports[index] = Ports.free(1)[0];
        }
    }

    /**
     * Room for {@code brokers} Kafka brokers: broker i on the Kafka port + 2i, its controller on the controller
     * port + 2i (./platform up --kafka-brokers=N).
     */
    void reserveKafkaBrokers(int brokers) {
        while (!roomAfter(2, brokers) || !roomAfter(3, brokers)) {
            ports[2] = Ports.free(1)[0];
            ports[3] = Ports.free(1)[0];
        }
    }

    private boolean roomAfter(int index, int brokers) {
        for (int i = 1; i < brokers; i++) {
            int port = ports[index] + 2 * i;
            if (Arrays.stream(ports).anyMatch(p -> p == port) || port == ports[6] + 1 || port == ports[5] + 10
                    || port == ports[2 + 3 - index] + 2 * i || !bindable(port)) {
                return false;
            }
        }
        return true;
    }

    /** Room for a second instance of each service: inference on ports[6] + 1, user on ports[5] + 10. */
    private static int[] withSecondInstances(int[] ports) {
        while (Arrays.stream(ports).anyMatch(p -> p == ports[6] + 1) || !bindable(ports[6] + 1)) {
            ports[6] = Ports.free(1)[0];
        }
        while (Arrays.stream(ports).anyMatch(p -> p == ports[5] + 10) || ports[5] + 10 == ports[6] + 1
                || !bindable(ports[5] + 10)) {
            ports[5] = Ports.free(1)[0];
        }
        return ports;
    }

    private static boolean bindable(int port) {
        try (var socket = new java.net.ServerSocket()) {
            socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Extra environment of {@code ./platform} and so of every service it starts. */
    final Map<String, String> environment = new HashMap<>();

    /** {@code ./platform <args>}; {@code up} gets this platform's ports. */
    Result run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(REPO.resolve("platform").toString()));
        command.addAll(List.of(args));
        if (args[0].equals("up")) {
            command.addAll(List.of("--pg-port=" + ports[0], "--redis-port=" + ports[1], "--kafka-port=" + ports[2],
                    "--kafka-controller-port=" + ports[3], "--gateway-port=" + ports[4], "--user-port=" + ports[5],
                    "--inference-port=" + ports[6], "--zipkin-port=" + ports[7], "--redis-cache-port=" + ports[8]));
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true);
        builder.environment().put("MERIDIAN_PLATFORM_DIR", dir.toString());
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "./platform " + args[0] + " hung");
        return new Result(process.exitValue(), output);
    }

    /** A JSON request through the gateway with a bearer credential (access token or API key). */
    HttpResponse<String> send(String token, String method, String path, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[4] + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(int port, String path, String json) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    record Result(int exitCode, String output) {
    }
}
