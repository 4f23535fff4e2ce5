package dev.meridian.local.launcher;

import dev.meridian.local.infra.Ports;
import dev.meridian.local.infra.Processes;
import dev.meridian.local.infra.Readiness;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One Quarkus service run from its fast-jar ({@code target/quarkus-app/quarkus-run.jar}) in its own JVM. */
final class ServiceProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final String name;
    private final Path jar;
    private final int port;
    private final Path logFile;
    private final Map<String, String> env;
    private Process process;
    private long logOffset;

    ServiceProcess(String name, Path jar, int port, Path logFile, Map<String, String> env) {
        this.name = name;
        this.jar = jar;
        this.port = port;
        this.logFile = logFile;
        this.env = Map.copyOf(env);
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    String url() {
        return "http://localhost:" + port;
    }

    Path logFile() {
        return logFile;
    }

    long pid() {
        return process == null ? -1 : process.pid();
    }

    void start() throws IOException {
        if (!Files.exists(jar)) {
            throw new IOException(jar + " is missing: build with ./mvnw install -DskipTests");
        }
        Ports.requireFree(port, name);
        Files.createDirectories(logFile.getParent());
        logOffset = Processes.size(logFile);
        ProcessBuilder builder = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+ExitOnOutOfMemoryError",
                "-jar", jar.toString()))
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(logFile.toFile()));
        builder.environment().putAll(env);
        // glibc gives every thread that allocates natively (ONNX Runtime, Netty) a 64 MB arena of its own: hundreds
        // of MB of resident memory that two arenas serve as well
        builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        // local runs stay on loopback, like the embedded infrastructure
        builder.environment().putIfAbsent("QUARKUS_HTTP_HOST", "127.0.0.1");
        process = builder.start();
    }

    /** Waits for {@code /q/health/ready}; on failure the message carries the tail of the service's log. */
    void awaitReady(Duration timeout) throws IOException {
        try {
            Readiness.await(name + " on port " + port, timeout, () -> isReady(port), process);
        } catch (RuntimeException e) {
            throw new IOException(e.getMessage() + "; last lines of " + logFile + ":\n"
                    + Processes.tail(logFile, logOffset, 25), e);
        }
    }

    static boolean isReady(int port) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2)).GET().build();
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void stop() {
        Processes.stop(process, Duration.ofSeconds(30));
        process = null;
    }
}
