package dev.meridian.local.launcher;

import dev.meridian.local.infra.LocalKafka;
import dev.meridian.local.infra.LocalPostgres;
import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.infra.LocalZipkin;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * What a running platform left in {@code .platform/run}: its state, its own pid and one line per component, so
 * {@code ./platform status|down} can find everything again from another process.
 */
final class RunState {

    record Component(String name, int port, String address, Path log, long pid) {

        String line() {
            return String.join("\t", name, Integer.toString(port), address, log.toString(), Long.toString(pid));
        }

        static Component parse(String line) {
            String[] f = line.split("\t");
            return new Component(f[0], Integer.parseInt(f[1]), f[2], Path.of(f[3]), Long.parseLong(f[4]));
        }

        /** A real request against the component: a query, a PING, a metadata request, a readiness check. */
        boolean isReady() {
            if (address.startsWith("redis://")) { // a Redis server or a node of a Redis Cluster
                return new LocalRedis(port, log.getParent(), log, false).isReady();
            }
            if (name.startsWith("kafka-")) { // a broker of a Kafka cluster
                return new LocalKafka(port, -1, log.getParent(), log).isReady();
            }
            return switch (name) {
                case "postgresql" -> new LocalPostgres(port, log.getParent(), log, false, List.of()).isReady();
                case "kafka" -> new LocalKafka(port, -1, log.getParent(), log).isReady();
                case "zipkin" -> new LocalZipkin(port, log, log).isReady();
                default -> ServiceProcess.isReady(port);
            };
        }
    }

    private final Path dir;
    private volatile boolean failed;

    RunState(Path dir) {
        this.dir = dir;
    }

    void starting() {
        write("platform.pid", Long.toString(ProcessHandle.current().pid()));
        write("components.tsv", "");
        write("state", "starting");
    }

    void ready(List<Component> components) {
        write("components.tsv", String.join("\n", components.stream().map(Component::line).toList()) + "\n");
        write("state", "ready");
    }

    void failed(String message) {
        failed = true;
        write("state", "failed " + message.lines().findFirst().orElse(""));
    }

    void stopped() {
        write("components.tsv", "");
        if (!failed) {
            // a failure stays readable for ./platform up --detach, which reports it
            write("state", "stopped");
        }
        try {
            Files.deleteIfExists(dir.resolve("platform.pid"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prints one row per component; true when every component answers. */
    boolean printStatus(PrintStream out) {
        List<Component> components = read();
        if (components.isEmpty()) {
            out.println("Meridian is not running (start it with ./platform up).");
            return false;
        }
        boolean allReady = true;
        String format = "%-18s %-9s %-30s %s%n";
        out.printf(format, "COMPONENT", "STATUS", "ADDRESS", "LOG");
        for (Component component : components) {
            boolean ready = component.isReady();
            allReady &= ready;
            out.printf(format, component.name(), ready ? "ready" : "DOWN", component.address(), component.log());
        }
        return allReady;
    }

    private List<Component> read() {
        Path file = dir.resolve("components.tsv");
        try {
            return Files.exists(file)
                    ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(Component::parse).toList()
                    : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(String file, String content) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(file + ".tmp");
            Files.writeString(tmp, content);
            Files.move(tmp, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
