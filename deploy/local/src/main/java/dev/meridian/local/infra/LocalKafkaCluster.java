package dev.meridian.local.infra;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Several KRaft nodes (each broker and controller, in its own JVM) as one Kafka cluster: every node votes in the
 * controller quorum, topics are replicated to up to three brokers ({@code default.replication.factor}) and a write is
 * acknowledged once all but one of them have it ({@code min.insync.replicas}), so with three brokers one may die
 * without losing an acknowledged record or stopping producers that ask for {@code acks=all}.
 */
public final class LocalKafkaCluster implements LocalServer {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final List<LocalKafka> nodes = new ArrayList<>();

    /**
     * @param ports           node i's broker port
     * @param controllerPorts node i's controller port
     */
    public LocalKafkaCluster(int[] ports, int[] controllerPorts, Path dataDir, Path logDir) {
        int count = ports.length;
        String voters = IntStream.range(0, count).mapToObj(i -> (i + 1) + "@127.0.0.1:" + controllerPorts[i])
                .collect(Collectors.joining(","));
        String clusterId = LocalKafka.newClusterId();
        int replicas = Math.min(3, count);
        for (int i = 0; i < count; i++) {
            String name = "kafka-" + (i + 1);
            nodes.add(new LocalKafka(ports[i], controllerPorts[i], dataDir.resolve(name), logDir.resolve(name + ".log"),
                    new LocalKafka.Membership(name, i + 1, voters, clusterId, replicas, Math.max(1, replicas - 1),
                            "512m")));
        }
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public int port() {
        return nodes.get(0).port();
    }

    /** Every broker, as {@code bootstrap.servers} takes them. */
    @Override
    public String address() {
        return nodes.stream().map(LocalKafka::address).collect(Collectors.joining(","));
    }

    public List<LocalKafka> nodes() {
        return List.copyOf(nodes);
    }

    @Override
    public long pid() {
        return nodes.get(0).pid();
    }

    /** Starts every node (they need each other for a quorum) and waits until all brokers have registered. */
    @Override
    public void start() throws IOException {
        try {
            for (LocalKafka node : nodes) {
                node.start();
            }
            Readiness.await("Kafka cluster of " + nodes.size() + " brokers", START_TIMEOUT, this::isReady, null);
        } catch (IOException | RuntimeException e) {
            close();
            throw new IOException("the Kafka cluster did not start (logs: kafka-N.log): " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isReady() {
        return LocalKafka.brokersSeen(port(), address()) == nodes.size();
    }

    @Override
    public void close() {
        for (LocalKafka node : nodes) {
            node.close();
        }
    }
}
