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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Redis 6.2 from the embedded-redis binaries, append-only persistence unless throwaway, optionally with a memory limit
 * and an eviction policy. The process is started here rather than through embedded-redis' RedisServer, which installs
 * its own shutdown hook and would stop Redis before the services that use it.
 */
public class LocalRedis implements LocalServer {

    /** The component name of the state Redis (deny-list, rate limits, token and job bookkeeping). */
    public static final String NAME = "redis";

    /**
     * {@code maxmemory} (e.g. {@code 256mb}) and {@code maxmemory-policy} (e.g. {@code noeviction},
     * {@code allkeys-lru}) as redis-server takes them.
     */
    public record Memory(String maxmemory, String policy) {

        private static final Set<String> POLICIES = Set.of("noeviction", "allkeys-lru", "allkeys-lfu",
                "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl");

        public Memory {
            Objects.requireNonNull(maxmemory, "maxmemory");
            Objects.requireNonNull(policy, "policy");
            if (!maxmemory.toLowerCase(Locale.ROOT).matches("[0-9]+(b|k|kb|m|mb|g|gb)?")) {
                throw new IllegalArgumentException("maxmemory must be a size such as 256mb, got '" + maxmemory + "'");
            }
            if (!POLICIES.contains(policy)) {
                throw new IllegalArgumentException("maxmemory-policy must be one of " + POLICIES + ", got '"
                        + policy + "'");
            }
        }

        /** State that must never be evicted: when full, writes fail instead. */
        public static Memory noEviction(String maxmemory) {
            return new Memory(maxmemory, "noeviction");
        }

        /** A cache: when full, the least recently used keys make room. */
        public static Memory allKeysLru(String maxmemory) {
            return new Memory(maxmemory, "allkeys-lru");
        }
    }

    private final String name;
    private final int port;
    private final Path dataDir;
    private final Path logFile;
    private final boolean throwaway;
    private final Memory memory;
    private Process process;

    /** The state Redis ({@value #NAME}) without a memory limit. */
    public LocalRedis(int port, Path dataDir, Path logFile, boolean throwaway) {
        this(NAME, port, dataDir, logFile, throwaway, null);
    }

    /**
     * @param name      the component name (logs, status)
     * @param throwaway no append-only file
     * @param memory    memory limit and eviction policy; null for Redis' default (no limit)
     */
    public LocalRedis(String name, int port, Path dataDir, Path logFile, boolean throwaway, Memory memory) {
        this.name = Objects.requireNonNull(name, "name");
        this.port = port;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.throwaway = throwaway;
        this.memory = memory;
    }

    @Override
    public String name() {
        return name;
    }

    /** The memory limit and eviction policy it starts with; null when unlimited. */
    public Memory memory() {
        return memory;
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
        Ports.requireFree(port, description());
        Files.createDirectories(dataDir);
        Files.createDirectories(logFile.getParent());
        String executable = ExecutableProvider.newJarResourceProvider().get().getAbsolutePath();
        List<String> command = new ArrayList<>(List.of(executable,
                "--bind", "127.0.0.1",
                "--port", Integer.toString(port),
                "--dir", dataDir.toAbsolutePath().toString(),
                "--daemonize", "no"));
        command.addAll(persistenceArguments());
        if (memory != null) {
            command.addAll(List.of("--maxmemory", memory.maxmemory(), "--maxmemory-policy", memory.policy()));
        }
        // extracted afresh on every start, while PostgreSQL and Kafka may be forking in parallel
        process = Processes.startFreshExecutable(new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(logFile.toFile())));
        try {
            Readiness.await(description() + " on port " + port, Duration.ofSeconds(30), this::isReady, process);
        } catch (RuntimeException e) {
            close();
            throw new IOException(description() + " did not start on port " + port + " (log: " + logFile + ")", e);
        }
    }

    /** What is kept on disk: an append-only file unless throwaway (Redis' default snapshots either way). */
    protected List<String> persistenceArguments() {
        return List.of("--appendonly", throwaway ? "no" : "yes");
    }

    /** "Redis" for the state Redis, else "Redis (name)", in messages. */
    private String description() {
        return NAME.equals(name) ? "Redis" : "Redis (" + name + ")";
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
