package dev.meridian.local.infra;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A KRaft Kafka node (broker + controller) in its own JVM, with the broker's own classpath (see the
 * meridian-kafka-broker module), so broker and client versions never clash with the kafka-clients Quarkus uses. Alone
 * it is a single-node Kafka; {@link LocalKafkaCluster} runs several as one cluster.
 */
public final class LocalKafka implements LocalServer {

    private static final String BROKER_CLASSPATH = "META-INF/meridian/kafka-broker.classpath";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    /** How a node belongs to its cluster: its id, the controller quorum, the cluster id and replication. */
    record Membership(String name, int nodeId, String voters, String clusterId, int replicas, int minInsyncReplicas,
                      String maxHeap) {
    }

    private final int port;
    private final int controllerPort;
    private final Path dataDir;
    private final Path logFile;
    private final Membership membership;
    private Process process;

    /** A single-node Kafka. */
    public LocalKafka(int port, int controllerPort, Path dataDir, Path logFile) {
        this(port, controllerPort, dataDir, logFile,
                new Membership("kafka", 1, "1@127.0.0.1:" + controllerPort, null, 1, 1, "768m"));
    }

    LocalKafka(int port, int controllerPort, Path dataDir, Path logFile, Membership membership) {
        this.port = port;
        this.controllerPort = controllerPort;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.membership = membership;
    }

    @Override
    public String name() {
        return membership.name();
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String address() {
        return "127.0.0.1:" + port;
    }

    @Override
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    @Override
    public void start() throws IOException {
        Ports.requireFree(port, "Kafka");
        Ports.requireFree(controllerPort, "Kafka controller");
        Files.createDirectories(dataDir);
        Files.createDirectories(logFile.getParent());
        Path logDir = dataDir.resolve("log");
        Path config = dataDir.resolve("server.properties");
        Files.writeString(config, serverProperties(logDir));

        if (!Files.exists(logDir.resolve("meta.properties"))) {
            long logOffset = Processes.size(logFile);
            String clusterId = membership.clusterId() != null ? membership.clusterId() : newClusterId();
            Process format = java("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config.toString());
            try {
                if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                    format.destroyForcibly();
                    throw new IOException("formatting Kafka storage in " + logDir + " failed (exit "
                            + (format.isAlive() ? "timeout" : format.exitValue()) + "): " + Processes.tail(logFile, logOffset, 15));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while formatting Kafka storage", e);
            }
        }

        process = java("kafka.Kafka", config.toString());
        if (membership.replicas() > 1) {
            return; // a cluster node answers only once a quorum of its controllers runs: the cluster waits for that
        }
        try {
            Readiness.await("Kafka on port " + port, START_TIMEOUT, this::isReady, process);
        } catch (RuntimeException e) {
            close();
            throw new IOException("Kafka did not start on port " + port + " (log: " + logFile
                    + "); if its data is corrupted, reset local data with ./platform reset", e);
        }
    }

    private String serverProperties(Path logDir) {
        String replicas = Integer.toString(membership.replicas());
        String minIsr = Integer.toString(membership.minInsyncReplicas());
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=" + membership.nodeId(),
                "controller.quorum.voters=" + membership.voters(),
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + logDir.toAbsolutePath(),
                "num.partitions=3",
                "auto.create.topics.enable=true",
                "default.replication.factor=" + replicas,
                "min.insync.replicas=" + minIsr,
                "offsets.topic.replication.factor=" + replicas,
                "offsets.topic.num.partitions=10",
                "transaction.state.log.replication.factor=" + replicas,
                "transaction.state.log.min.isr=" + minIsr,
                "transaction.state.log.num.partitions=10",
                "share.coordinator.state.topic.replication.factor=" + replicas,
                "share.coordinator.state.topic.min.isr=" + minIsr,
                "group.initial.rebalance.delay.ms=0",
                "");
    }

    /** Like Kafka's own Uuid: never starting with '-', which StorageTool's argument parser would take for a flag. */
    static String newClusterId() {
        while (true) {
            UUID uuid = UUID.randomUUID();
            ByteBuffer bytes = ByteBuffer.allocate(16)
                    .putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
            String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
            if (!id.startsWith("-")) {
                return id;
            }
        }
    }

    private Process java(String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms256m", "-Xmx" + membership.maxHeap(), "-XX:+UseG1GC",
                "-Djava.awt.headless=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", launcherLocation() + File.pathSeparator + brokerClasspath(),
                KafkaMain.class.getName(), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(logFile.toFile()));
        // keep Quarkus/JVM tuning meant for our own JVM away from the broker
        Map<String, String> env = builder.environment();
        env.remove("JAVA_TOOL_OPTIONS");
        env.remove("CLASSPATH");
        return builder.start();
    }

    private static String launcherLocation() {
        try {
            return Path.of(KafkaMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String brokerClasspath() throws IOException {
        try (InputStream in = LocalKafka.class.getClassLoader().getResourceAsStream(BROKER_CLASSPATH)) {
            if (in == null) {
                throw new IOException(BROKER_CLASSPATH + " is missing: build deploy/local/kafka-broker first (./mvnw install)");
            }
            String classpath = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            for (String entry : classpath.split(File.pathSeparator)) {
                if (!Files.exists(Path.of(entry))) {
                    throw new IOException("Kafka broker jar " + entry + " is missing from the local Maven repository:"
                            + " rebuild with ./mvnw install");
                }
            }
            return classpath;
        }
    }

    @Override
    public boolean isReady() {
        return brokersSeen(port, address()) >= 1;
    }

    /** How many brokers the cluster reports through {@code bootstrap}; 0 when it does not answer. */
    static int brokersSeen(int firstPort, String bootstrap) {
        // a TCP probe first keeps the admin client from logging connection warnings while the broker boots
        if (!Ports.accepts(firstPort)) {
            return 0;
        }
        Map<String, Object> config = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 100);
        try (Admin admin = Admin.create(config)) {
            return admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes()
                    .get(3, TimeUnit.SECONDS).size();
        } catch (Exception e) {
            return 0;
        }
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(30));
        process = null;
    }

    /** Kafka is in its own JVM; a crash there shows up here as an unexpected exit. */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }
}
