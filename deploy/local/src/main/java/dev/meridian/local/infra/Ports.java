package dev.meridian.local.infra;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Port checks with errors a newcomer can act on. */
public final class Ports {

    private Ports() {
    }

    /** A port nothing listens on right now; for tests, which must never collide with a running platform. */
    public static int free() {
        return free(1)[0];
    }

    /** Distinct free ports: all sockets stay open until every port is picked, so none is handed out twice. */
    public static int[] free(int count) {
        ServerSocket[] sockets = new ServerSocket[count];
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0);
                sockets[i].setReuseAddress(true);
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new IllegalStateException("no free TCP port on this machine", e);
        } finally {
            for (ServerSocket socket : sockets) {
                if (socket != null) {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // closing a probe socket cannot lose anything
                    }
                }
            }
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
