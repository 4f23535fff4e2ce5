package dev.meridian.local.infra;

import redis.embedded.core.ExecutableProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Redis 6.2 from the embedded-redis binaries, append-only persistence unless throwaway. The process is started here
 * rather than through embedded-redis' RedisServer, which installs its own shutdown hook and would stop Redis before
 * the services that use it.
 */
public final class LocalRedis implements LocalServer {

    private final int port;
    private final Path dataDir;
    private final Path logFile;
    private final boolean throwaway;
    private Process process;

    public LocalRedis(int port, Path dataDir, Path logFile, boolean throwaway) {
        this.port = port;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.throwaway = throwaway;
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String address() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    @Override
    public void start() throws IOException {
        Ports.requireFree(port, "Redis");
        Files.createDirectories(dataDir);
        Files.createDirectories(logFile.getParent());
        String executable = ExecutableProvider.newJarResourceProvider().get().getAbsolutePath();
        // extracted afresh on every start, while PostgreSQL and Kafka may be forking in parallel
        process = Processes.startFreshExecutable(new ProcessBuilder(executable,
                "--bind", "127.0.0.1",
                "--port", Integer.toString(port),
                "--dir", dataDir.toAbsolutePath().toString(),
                "--appendonly", throwaway ? "no" : "yes",
                "--daemonize", "no")
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(logFile.toFile())));
        try {
            Readiness.await("Redis on port " + port, Duration.ofSeconds(30), this::isReady, process);
        } catch (RuntimeException e) {
            close();
            throw new IOException("Redis did not start on port " + port + " (log: " + logFile + ")", e);
        }
    }

    @Override
    public boolean isReady() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return "+PONG\r\n".equals(new String(in.readNBytes(7), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(15));
        process = null;
    }
}
