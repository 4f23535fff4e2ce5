package dev.meridian.local.infra;

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

/**
 * A Zipkin server (the slim jar, spans kept in memory) in its own JVM: the services send their spans to
 * {@link #spansEndpoint()}, people look at them on {@link #address()}.
 */
public final class LocalZipkin implements LocalServer {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final int port;
    private final Path jar;
    private final Path logFile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private Process process;

    public LocalZipkin(int port, Path jar, Path logFile) {
        this.port = port;
        this.jar = jar;
        this.logFile = logFile;
    }

    @Override
    public String name() {
        return "zipkin";
    }

    @Override
    public int port() {
        return port;
    }

    /** The UI. */
    @Override
    public String address() {
        return "http://localhost:" + port + "/zipkin/";
    }

    public String spansEndpoint() {
        return "http://127.0.0.1:" + port + "/api/v2/spans";
    }

    @Override
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    @Override
    public void start() throws IOException {
        Ports.requireFree(port, "Zipkin");
        if (!Files.exists(jar)) {
            throw new IOException(jar + " is missing: build first (./mvnw install), or start with --no-zipkin");
        }
        Files.createDirectories(logFile.getParent());
        ProcessBuilder builder = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx384m", "-Djava.awt.headless=true", "-jar", jar.toString()))
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(logFile.toFile()));
        Map<String, String> env = builder.environment();
        env.remove("JAVA_TOOL_OPTIONS");
        env.put("QUERY_PORT", Integer.toString(port));
        env.put("STORAGE_TYPE", "mem");
        // bounded memory: the oldest traces go first
        env.put("MEM_MAX_SPANS", "200000");
        process = builder.start();
        try {
            Readiness.await("Zipkin on port " + port, START_TIMEOUT, this::isReady, process);
        } catch (RuntimeException e) {
            close();
            throw new IOException("Zipkin did not start on port " + port + " (log: " + logFile + ")", e);
        }
    }

    @Override
    public boolean isReady() {
        if (!Ports.accepts(port)) {
            return false;
        }
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(15));
        process = null;
    }
}
