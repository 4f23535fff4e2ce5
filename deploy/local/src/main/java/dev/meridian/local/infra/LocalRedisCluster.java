package dev.meridian.local.infra;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;

/**
 * A Redis Cluster on loopback from the embedded-redis binary (Redis 6.2, the same one {@link LocalRedis} runs):
 * {@code masters} nodes sharing the 16384 slots, each with {@code replicasPerMaster} replicas that take over when it
 * dies. The binary ships no redis-cli, so the cluster is formed here with CLUSTER MEET, ADDSLOTS and REPLICATE. Each
 * node keeps its {@code nodes.conf} in its data directory, so a restart on the same ports rejoins the same cluster.
 * <p>
 * Ports: node i listens on {@code ports[i]} and talks to the other nodes on {@code ports[i] + 10000} (Redis 6.2 has no
 * separate cluster-port setting), so both must be free. Masters first, then replicas.
 */
public class LocalRedisCluster implements LocalServer {

    private static final int SLOTS = 16384;
    private static final Duration FORM_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final int masters;
    private final List<LocalRedis> nodes = new ArrayList<>();

    /**
     * @param persistent an append-only file per node (the state Redis); else nothing on disk (a cache)
     * @param memory     each node's memory limit and eviction policy
     * @param nodeTimeout how long a node may be silent before its replica takes over
     */
    public LocalRedisCluster(String name, int[] ports, int masters, Path dataDir, Path logDir, boolean persistent,
                             LocalRedis.Memory memory, Duration nodeTimeout) {
        this.name = Objects.requireNonNull(name, "name");
        if (masters < 1 || ports.length < masters || ports.length % masters != 0) {
            throw new IllegalArgumentException("a cluster needs its masters and the same number of replicas for each");
        }
        this.masters = masters;
        List<String> arguments = new ArrayList<>(persistent ? List.of("--appendonly", "yes")
                : List.of("--appendonly", "no", "--save", ""));
        arguments.addAll(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", Long.toString(nodeTimeout.toMillis()),
                // a dead master without a replica takes only its own slots down, not every user's
                "--cluster-require-full-coverage", "no"));
        for (int i = 0; i < ports.length; i++) {
            String node = name + "-" + (i + 1);
            nodes.add(new Node(node, ports[i], dataDir.resolve(node), logDir.resolve(node + ".log"), memory,
                    List.copyOf(arguments)));
        }
    }

    /** A cluster node: {@link LocalRedis} with the cluster's arguments in place of its persistence ones. */
    private static final class Node extends LocalRedis {
        private final List<String> arguments;

        Node(String name, int port, Path dataDir, Path logFile, Memory memory, List<String> arguments) {
            super(name, port, dataDir, logFile, true, memory);
            this.arguments = arguments;
        }

        @Override
        protected List<String> persistenceArguments() {
            return arguments;
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** The first master's port. */
    @Override
    public int port() {
        return nodes.get(0).port();
    }

    /** Every node, as {@code quarkus.redis.hosts} takes a cluster's seeds. */
    @Override
    public String address() {
        return String.join(",", nodes.stream().map(LocalRedis::address).toList());
    }

    /** The nodes, masters first as formed (after a failover a replica may have become a master). */
    public List<LocalRedis> nodes() {
        return List.copyOf(nodes);
    }

    @Override
    public long pid() {
        return nodes.get(0).pid();
    }

    @Override
    public void start() throws IOException {
        List<CompletableFuture<Void>> starts = nodes.stream().map(node -> CompletableFuture.runAsync(() -> {
            try {
                node.start();
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        })).toList();
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
            if (!info(port()).contains("cluster_slots_assigned:" + SLOTS)) {
                form();
            }
            Readiness.await("Redis Cluster (" + name + ")", FORM_TIMEOUT, this::isReady, null);
        } catch (RuntimeException e) {
            close();
            throw new IOException("Redis Cluster (" + name + ") did not form: " + e.getMessage(), e);
        }
    }

    private void form() throws IOException {
        List<String> ids = new ArrayList<>();
        for (LocalRedis node : nodes) {
            ids.add(RespCall.text(node.port(), "CLUSTER", "MYID"));
        }
        for (LocalRedis node : nodes.subList(1, nodes.size())) {
            RespCall.call(node.port(), "CLUSTER", "MEET", "127.0.0.1", Integer.toString(port()));
        }
        for (int m = 0; m < masters; m++) {
            List<String> command = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
            IntStream.range(m * SLOTS / masters, (m + 1) * SLOTS / masters).forEach(s -> command.add(Integer.toString(s)));
            RespCall.call(nodes.get(m).port(), command.toArray(String[]::new));
        }
        // a replica can follow its master only once it has heard of it through the cluster bus
        Readiness.await("every node of " + name + " to know the others", FORM_TIMEOUT,
                () -> nodes.stream().allMatch(node -> knowsAll(node, ids)), null);
        for (int r = masters; r < nodes.size(); r++) {
            RespCall.call(nodes.get(r).port(), "CLUSTER", "REPLICATE", ids.get(r % masters));
        }
    }

    private static boolean knowsAll(LocalRedis node, List<String> ids) {
        try {
            String known = RespCall.text(node.port(), "CLUSTER", "NODES");
            return ids.stream().allMatch(known::contains) && !known.contains("handshake");
        } catch (IOException e) {
            return false;
        }
    }

    /** Every live node sees every slot served, and every live replica is in sync with its master. */
    @Override
    public boolean isReady() {
        boolean any = false;
        for (LocalRedis node : nodes) {
            if (node.pid() < 0 || !node.isReady()) {
                continue;
            }
            any = true;
            try {
                String info = info(node.port());
                if (!info.contains("cluster_state:ok") || !info.contains("cluster_slots_ok:" + SLOTS)) {
                    return false;
                }
                String replication = RespCall.text(node.port(), "INFO", "replication");
                if (replication.contains("role:slave") && !replication.contains("master_link_status:up")) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return any;
    }

    private static String info(int port) {
        try {
            return RespCall.text(port, "CLUSTER", "INFO");
        } catch (IOException e) {
            return "";
        }
    }

    /** The port of the node that serves {@code key}'s slot as master right now. */
    public int masterPortFor(String key) throws IOException {
        LocalRedis live = nodes.stream().filter(n -> n.pid() >= 0 && n.isReady()).findFirst()
                .orElseThrow(() -> new IOException("no node of " + name + " answers"));
        long slot = (Long) RespCall.call(live.port(), "CLUSTER", "KEYSLOT", key);
        for (Object range : (List<?>) RespCall.call(live.port(), "CLUSTER", "SLOTS")) {
            List<?> r = (List<?>) range;
            if ((Long) r.get(0) <= slot && slot <= (Long) r.get(1)) {
                return Math.toIntExact((Long) ((List<?>) r.get(2)).get(1));
            }
        }
        throw new IOException("no master serves slot " + slot);
    }

    /** The node listening on {@code port}. */
    public LocalRedis node(int port) {
        return nodes.stream().filter(n -> n.port() == port).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node of " + name + " on port " + port));
    }

    @Override
    public void close() {
        for (LocalRedis node : nodes) {
            node.close();
        }
    }
}
