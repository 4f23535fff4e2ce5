package dev.meridian.local.infra;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** Port checks with errors a newcomer can act on. */
public final class Ports {

    private static final int FIRST_PICKED = 20_000;
    private static final int LAST_PICKED = 32_000;
    private static final int EPHEMERAL_START = 32_768;
    /** Where Redis 6.2 puts a cluster node's bus: its port plus this. */
    public static final int CLUSTER_BUS_OFFSET = 10_000;
    private static final Random RANDOM = new Random();

    private Ports() {
    }

    /** A port nothing listens on right now; for tests, which must never collide with a running platform. */
    public static int free() {
        return free(1)[0];
    }

    /**
     * Distinct free ports: all sockets stay open until every port is picked, so none is handed out twice. Picked below
     * Linux's ephemeral range (32768-60999), which the OS hands out as the local port of outgoing connections: a port
     * picked there could be taken by one of the test's own connections before the server it was meant for binds it.
     */
    public static int[] free(int count) {
        return free(count, LAST_PICKED, 0);
    }

    /**
     * Ports for Redis Cluster nodes (Redis 6.2), each with its cluster bus port ({@code port + 10000}) free too, both
     * below the ephemeral range.
     */
    public static int[] freeWithClusterBus(int count) {
        return free(count, EPHEMERAL_START - 1 - CLUSTER_BUS_OFFSET, CLUSTER_BUS_OFFSET);
    }

    /** @param alsoOffset if not 0, {@code port + alsoOffset} must be free too */
    private static int[] free(int count, int last, int alsoOffset) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            int picked = 0;
            for (int attempt = 0; picked < count && attempt < 10_000; attempt++) {
                int port = FIRST_PICKED + RANDOM.nextInt(last - FIRST_PICKED + 1);
                if (bind(port, sockets) && (alsoOffset == 0 || bind(port + alsoOffset, sockets))) {
                    ports[picked++] = port;
                }
            }
            if (picked < count) {
                throw new IllegalStateException("no free TCP port between " + FIRST_PICKED + " and " + last);
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing a probe socket cannot lose anything
                }
            }
        }
    }

    /** Binds a probe socket (kept in {@code sockets}, so the port is not picked twice); false when taken. */
    private static boolean bind(int port, List<ServerSocket> sockets) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            sockets.add(socket);
            socket.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException inUse) {
            return false;
        }
    }

    /** Fails with a one-line message naming the port, what needed it and, if the OS tells, who holds it. */
    public static void requireFree(int port, String component) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            String holder = owner(port).map(o -> " by " + o).orElse("");
            throw new PortInUseException("port " + port + " needed by " + component + " is already in use" + holder
                    + "; stop that process or choose another port (see ./platform help)");
        }
    }

    public static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Who listens on the port, from {@code ss} (Linux) or {@code lsof} (macOS); empty when neither can tell. */
    static Optional<String> owner(int port) {
        for (String[] command : new String[][] {
                {"ss", "-Htlnp", "sport = :" + port},
                {"lsof", "-nP", "-iTCP:" + port, "-sTCP:LISTEN", "-Fcp"}}) {
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (!process.waitFor(5, TimeUnit.SECONDS) || process.exitValue() != 0 || out.isEmpty()) {
                    continue;
                }
                return Optional.of(describe(out));
            } catch (IOException e) {
                // tool not installed: try the next one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static String describe(String toolOutput) {
        // ss: ... users:(("java",pid=1234,fd=56)); lsof -F: p1234\ncjava
        var ss = java.util.regex.Pattern.compile("\\(\"([^\"]+)\",pid=(\\d+)").matcher(toolOutput);
        if (ss.find()) {
            return ss.group(1) + " (pid " + ss.group(2) + ")";
        }
        var lsof = java.util.regex.Pattern.compile("p(\\d+)\\s+c(\\S+)").matcher(toolOutput);
        if (lsof.find()) {
            return lsof.group(2) + " (pid " + lsof.group(1) + ")";
        }
        return "another process";
    }

    public static final class PortInUseException extends IllegalStateException {
        PortInUseException(String message) {
            super(message);
        }
    }
}
