package dev.meridian.local.launcher;

import dev.meridian.local.infra.LocalCacheRedis;
import dev.meridian.local.infra.LocalKafka;
import dev.meridian.local.infra.LocalKafkaCluster;
import dev.meridian.local.infra.LocalPostgres;
import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.infra.LocalRedisCluster;
import dev.meridian.local.infra.LocalServer;
import dev.meridian.local.infra.LocalZipkin;
import dev.meridian.local.infra.Ports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;

/**
 * The Java half of {@code ./platform}: {@code up} starts PostgreSQL, two Redis servers (state and cache), Kafka and
 * Zipkin, then the three services, waits until each is ready, prints where everything is, and stays in the foreground
 * until SIGINT/SIGTERM, when it stops the services and then the infrastructure in reverse order. {@code status} probes
 * a running platform.
 */
public final class PlatformLauncher {

    static final String USER_DB = "meridian_users";
    static final String INFERENCE_DB = "meridian_inference";
    /** Encrypts user-service's JWT signing keys at rest. */
    static final String USER_MASTER_KEY_ENV = "MERIDIAN_USERS_KEYS_MASTER_KEY";
    /** Per service started: they start side by side, so each more instance slows all of them down on a small machine. */
    private static final Duration SERVICE_READY_TIMEOUT_EACH = Duration.ofSeconds(30);
    /**
     * The state Redis (deny-list, rate limits, refresh-token and job bookkeeping) never evicts: when full it refuses
     * writes. The cache Redis (the gateway's response cache, inference-service's vectors) evicts least recently used
     * keys, so a flood of cache entries can never evict or block state.
     */
    static final String STATE_REDIS_MAXMEMORY = "256mb";
    static final String CACHE_REDIS_MAXMEMORY = "64mb";
    /** How long a Redis Cluster master may be silent before its replica takes over. */
    static final Duration REDIS_CLUSTER_NODE_TIMEOUT = Duration.ofSeconds(2);

    private final LauncherOptions options;
    private final RunState runState;
    private final List<LocalServer> infrastructure = new ArrayList<>();
    private final List<ServiceProcess> services = new ArrayList<>();
    private LocalZipkin zipkin;
    private LocalServer stateRedis;
    private LocalServer cacheRedis;
    private LocalServer kafka;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;

    PlatformLauncher(LauncherOptions options) {
        this.options = options;
        this.runState = new RunState(options.runDir());
    }

    public static void main(String[] args) {
        Path home = Path.of(System.getProperty("meridian.home", ".")).toAbsolutePath().normalize();
        Path platformDir = Path.of(System.getProperty("meridian.platform.dir", home.resolve(".platform").toString()));
        String command = args.length == 0 ? "up" : args[0];
        List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
        try {
            switch (command) {
                case "up" -> new PlatformLauncher(LauncherOptions.parse(home, platformDir, rest, System.getenv())).up();
                case "status" -> System.exit(new RunState(platformDir.resolve("run")).printStatus(System.out) ? 0 : 3);
                case "backup", "restore" -> backupOrRestore(command, home, platformDir, rest);
                default -> throw new IllegalArgumentException("unknown command '" + command + "'");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("platform: " + e.getMessage());
            System.exit(2);
        }
    }

    /** The platform is stopped (the script checks): backup [DIR] (default .platform/backups/<time>) or restore DIR. */
    private static void backupOrRestore(String command, Path home, Path platformDir, List<String> rest) {
        List<String> dirs = rest.stream().filter(a -> !a.startsWith("--")).toList();
        LauncherOptions options = LauncherOptions.parse(home, platformDir,
                rest.stream().filter(a -> a.startsWith("--")).toList(), System.getenv());
        PlatformBackup backups = new PlatformBackup(home, platformDir, options.pgPort(), System.out);
        try {
            if (command.equals("backup")) {
                backups.backup(dirs.isEmpty() ? platformDir.resolve("backups").resolve(
                        java.time.LocalDateTime.now(java.time.ZoneOffset.UTC).withNano(0).toString().replace(':', '-'))
                        : Path.of(dirs.get(0)).toAbsolutePath());
            } else if (dirs.isEmpty()) {
                throw new IllegalArgumentException("restore needs the backup's directory: ./platform restore DIR");
            } else {
                backups.restore(Path.of(dirs.get(0)).toAbsolutePath());
            }
        } catch (IOException e) {
            System.err.println("platform: " + command + " failed: " + rootMessage(e));
            System.exit(1);
        } catch (IllegalArgumentException e) {
            System.err.println("platform: " + command + " refused: " + e.getMessage());
            System.exit(1);
        }
    }

    void up() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "platform-stop"));
        try {
            for (Path dir : List.of(options.dataDir(), options.logDir(), options.runDir())) {
                Files.createDirectories(dir);
            }
            runState.starting();
            requirePortsFree();
            startInfrastructure();
            startServices();
            runState.ready(components());
            runState.printStatus(System.out);
            System.out.println("Meridian is up. Ctrl-C (or ./platform down) stops everything.");
        } catch (Exception e) {
            String message = rootMessage(e);
            runState.failed(message);
            System.err.println("platform: " + message);
            System.exit(1);
        }
        watch();
    }

    /** All at once, before anything starts: a taken port should not cost a half-started platform. */
    private void requirePortsFree() {
        Ports.requireFree(options.pgPort(), "PostgreSQL");
        if (options.redisCluster()) {
            for (int port : options.redisClusterStatePorts()) {
                Ports.requireFree(port, "a Redis Cluster node");
                Ports.requireFree(port + Ports.CLUSTER_BUS_OFFSET, "a Redis Cluster node's bus");
            }
            for (int port : options.redisClusterCachePorts()) {
                Ports.requireFree(port, "a cache Redis Cluster node");
                Ports.requireFree(port + Ports.CLUSTER_BUS_OFFSET, "a cache Redis Cluster node's bus");
            }
        } else {
            Ports.requireFree(options.redisPort(), "Redis");
            Ports.requireFree(options.redisCachePort(), "the cache Redis");
        }
        for (int port : options.kafkaPorts()) {
            Ports.requireFree(port, "Kafka");
        }
        for (int port : options.kafkaControllerPorts()) {
            Ports.requireFree(port, "the Kafka controller");
        }
        for (int port : options.gatewayPorts()) {
            Ports.requireFree(port, "gateway-service");
        }
        for (int port : options.userPorts()) {
            Ports.requireFree(port, "user-service");
        }
        for (int port : options.inferencePorts()) {
            Ports.requireFree(port, "inference-service");
        }
        if (options.zipkin()) {
            Ports.requireFree(options.zipkinPort(), "Zipkin");
        }
    }

    private void startInfrastructure() throws IOException {
        Path data = options.dataDir();
        Path logs = options.logDir();
        infrastructure.add(new LocalPostgres(options.pgPort(), data.resolve("postgresql"), logs.resolve("postgresql.log"),
                false, List.of(USER_DB, INFERENCE_DB)));
        if (options.redisCluster()) {
            // the same split as below, each side a cluster: state nodes never evict and keep an append-only file,
            // cache nodes evict and keep nothing (a lost cache node costs recomputation, so no replicas)
            stateRedis = new LocalRedisCluster(LocalRedis.NAME, options.redisClusterStatePorts(), 3,
                    data.resolve("redis-cluster"), logs, true, LocalRedis.Memory.noEviction(STATE_REDIS_MAXMEMORY),
                    REDIS_CLUSTER_NODE_TIMEOUT);
            cacheRedis = new LocalRedisCluster(LocalCacheRedis.NAME, options.redisClusterCachePorts(), 3,
                    data.resolve("redis-cache-cluster"), logs, false, LocalRedis.Memory.allKeysLru(CACHE_REDIS_MAXMEMORY),
                    REDIS_CLUSTER_NODE_TIMEOUT);
        } else {
            stateRedis = new LocalRedis(LocalRedis.NAME, options.redisPort(), data.resolve(LocalRedis.NAME),
                    logs.resolve(LocalRedis.NAME + ".log"), false, LocalRedis.Memory.noEviction(STATE_REDIS_MAXMEMORY));
            cacheRedis = new LocalCacheRedis(options.redisCachePort(), data.resolve(LocalCacheRedis.NAME),
                    logs.resolve(LocalCacheRedis.NAME + ".log"), CACHE_REDIS_MAXMEMORY);
        }
        infrastructure.add(stateRedis);
        infrastructure.add(cacheRedis);
        kafka = options.kafkaBrokers() == 1
                ? new LocalKafka(options.kafkaPort(), options.kafkaControllerPort(), data.resolve("kafka"),
                        logs.resolve("kafka.log"))
                : new LocalKafkaCluster(options.kafkaPorts(), options.kafkaControllerPorts(),
                        data.resolve("kafka-cluster"), logs);
        infrastructure.add(kafka);
        if (options.zipkin()) {
            zipkin = new LocalZipkin(options.zipkinPort(),
                    options.home().resolve("deploy/local/target/zipkin/zipkin-server.jar"), logs.resolve("zipkin.log"));
            infrastructure.add(zipkin);
        }
        // independent of each other: start them side by side, Kafka's JVM is the long pole
        runAll(infrastructure.stream().map(server -> (IoTask) server::start).toList());
    }

    private void startServices() throws IOException {
        Map<String, String> common = new HashMap<>(Map.of(
                "QUARKUS_REDIS_HOSTS", stateRedis.address(),
                "KAFKA_BOOTSTRAP_SERVERS", kafka.address()));
        if (options.redisCluster()) {
            common.put("QUARKUS_REDIS_CLIENT_TYPE", "cluster");
            common.put("QUARKUS_REDIS_CACHE_CLIENT_TYPE", "cluster");
        }
        if (zipkin != null) {
            common.put("MERIDIAN_OTEL_DISABLED", "false");
            common.put("MERIDIAN_TRACING_EXPORTER", "zipkin");
            common.put("MERIDIAN_ZIPKIN_ENDPOINT", zipkin.spansEndpoint());
            // spans show up in the UI about a second after the request
            common.put("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "1s");
        }
        // tokens name the gateway as their issuer: OIDC clients discover everything from that one URL
        common.put("MERIDIAN_ISSUER", "http://localhost:" + options.gatewayPorts().get(0));
        Map<String, String> gatewayEnv = new HashMap<>(common);
        String users = "http://127.0.0.1:" + options.userPort();
        gatewayEnv.put("QUARKUS_STORK_USERS_SERVICE_DISCOVERY_ADDRESS_LIST", String.join(",",
                options.userPorts().stream().map(port -> "127.0.0.1:" + port).toList()));
        gatewayEnv.put("QUARKUS_STORK_INFERENCE_SERVICE_DISCOVERY_ADDRESS_LIST", String.join(",",
                options.inferencePorts().stream().map(port -> "127.0.0.1:" + port).toList()));
        gatewayEnv.put("MERIDIAN_GATEWAY_JWT_JWKS_URL", users + "/.well-known/jwks.json");
        gatewayEnv.put("MERIDIAN_GATEWAY_JWT_TOKEN_URL", users + "/v1/auth/token");
        // caches live in their own Redis (the Quarkus Redis client named "cache"): the gateway's responses and
        // inference-service's vectors
        String cacheRedis = this.cacheRedis.address();
        gatewayEnv.put("QUARKUS_REDIS_CACHE_HOSTS", cacheRedis);
        // gateways share limits, the deny-list and the cache through Redis; each falls back to its share of a limit
        gatewayEnv.put("MERIDIAN_GATEWAY_RATE_LIMITS_GATEWAY_INSTANCES", Integer.toString(options.gatewayInstances()));
        List<Integer> gatewayPorts = options.gatewayPorts();
        for (int i = 0; i < gatewayPorts.size(); i++) {
            services.add(service(i == 0 ? "gateway-service" : "gateway-service-" + (i + 1), "gateway-service",
                    gatewayPorts.get(i), gatewayEnv, null));
        }
        Map<String, String> userEnv = new HashMap<>(common);
        if (System.getenv(USER_MASTER_KEY_ENV) == null) {
            userEnv.put(USER_MASTER_KEY_ENV, secret("users-master-key"));
        }
        // more instances share the HTTP traffic and one database (the first signing key is created once, under an
        // advisory lock); the JWKS and API-key exchange URLs name the first instance
        List<Integer> userPorts = options.userPorts();
        for (int i = 0; i < userPorts.size(); i++) {
            services.add(service(i == 0 ? "user-service" : "user-service-" + (i + 1), "user-service",
                    userPorts.get(i), userEnv, USER_DB));
        }
        Map<String, String> inferenceEnv = new HashMap<>(common);
        inferenceEnv.put("MERIDIAN_INFERENCE_JWKS_URL", users + "/.well-known/jwks.json");
        inferenceEnv.put("QUARKUS_REDIS_CACHE_HOSTS", cacheRedis);
        // one usage journal for all instances: a killed instance's last records are shipped by a survivor
        inferenceEnv.put("MERIDIAN_INFERENCE_USAGE_JOURNAL_DIR",
                options.platformDir().resolve("usage-journal").toString());
        // more instances share the HTTP traffic (the gateway balances) and the job topic (one consumer group)
        List<Integer> inferencePorts = options.inferencePorts();
        for (int i = 0; i < inferencePorts.size(); i++) {
            services.add(service(i == 0 ? "inference-service" : "inference-service-" + (i + 1), "inference-service",
                    inferencePorts.get(i), inferenceEnv, INFERENCE_DB));
        }
        for (ServiceProcess service : services) {
            service.start();
        }
        runAll(services.stream().map(service -> (IoTask) () -> service.awaitReady(
                SERVICE_READY_TIMEOUT_EACH.multipliedBy(Math.max(3, services.size())))).toList());
    }

    /** A 256-bit secret generated on first use and kept (owner-only) under .platform/secrets. */
    private String secret(String name) throws IOException {
        Path file = options.platformDir().resolve("secrets").resolve(name);
        if (!Files.exists(file)) {
            Files.createDirectories(file.getParent());
            byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            Files.writeString(file, Base64.getEncoder().encodeToString(bytes));
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the directory's own protection has to do
            }
        }
        return Files.readString(file).trim();
    }

    /** @param module the Maven module whose fast-jar runs as the component {@code name} */
    private ServiceProcess service(String name, String module, int port, Map<String, String> common, String database) {
        Map<String, String> env = new HashMap<>(common);
        if (database != null) {
            env.put("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://127.0.0.1:" + options.pgPort() + "/" + database);
            env.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:" + options.pgPort() + "/" + database);
            env.put("QUARKUS_DATASOURCE_USERNAME", LocalPostgres.USER);
            env.put("QUARKUS_DATASOURCE_PASSWORD", LocalPostgres.USER);
        }
        Path jar = options.home().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        return new ServiceProcess(name, jar, port, options.logDir().resolve(name + ".log"), env);
    }

    private List<RunState.Component> components() {
        List<RunState.Component> components = new ArrayList<>();
        for (LocalServer server : infrastructure) {
            List<? extends LocalServer> parts = server instanceof LocalRedisCluster cluster ? cluster.nodes()
                    : server instanceof LocalKafkaCluster brokers ? brokers.nodes() : List.of(server);
            for (LocalServer part : parts) {
                components.add(new RunState.Component(part.name(), part.port(), part.address(),
                        options.logDir().resolve(part.name() + ".log"), part.pid()));
            }
        }
        for (ServiceProcess service : services) {
            components.add(new RunState.Component(service.name(), service.port(), service.url(), service.logFile(),
                    service.pid()));
        }
        return components;
    }

    /** Stays in the foreground; reports a component that dies so the user is not left guessing. */
    private void watch() {
        List<ProcessHandle> watched = components().stream()
                .map(c -> ProcessHandle.of(c.pid())).flatMap(Optional::stream).toList();
        for (ProcessHandle handle : watched) {
            handle.onExit().thenAccept(h -> {
                if (!stopping) {
                    System.err.println("platform: process " + h.pid() + " exited unexpectedly; see ./platform status"
                            + " and the logs in " + options.logDir());
                }
            });
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Services first (reverse start order), then infrastructure (reverse start order). */
    private void stopAll() {
        stopping = true;
        if (!services.isEmpty() || !infrastructure.isEmpty()) {
            System.out.println("Stopping Meridian...");
        }
        for (int i = services.size() - 1; i >= 0; i--) {
            services.get(i).stop();
        }
        for (int i = infrastructure.size() - 1; i >= 0; i--) {
            try {
                infrastructure.get(i).close();
            } catch (RuntimeException e) {
                System.err.println("platform: " + rootMessage(e));
            }
        }
        runState.stopped();
        stopped.countDown();
    }

    @FunctionalInterface
    private interface IoTask {
        void run() throws Exception;
    }

    private static void runAll(List<IoTask> tasks) throws IOException {
        List<CompletableFuture<Void>> futures = tasks.stream().map(task -> CompletableFuture.runAsync(() -> {
            try {
                task.run();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        })).toList();
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw new IOException(rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t.getMessage() == null) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
