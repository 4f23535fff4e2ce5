package dev.meridian.local.infra;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Child processes of the launcher and the test resources: stopping them, and reading what they logged. */
public final class Processes {

    private Processes() {
    }

    /** SIGTERM, then SIGKILL if the process has not exited within {@code grace}. */
    public static void stop(Process process, Duration grace) {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** The last {@code lines} lines written to {@code file} after {@code fromOffset} (logs are appended across runs). */
    public static String tail(Path file, long fromOffset, int lines) {
        try (SeekableByteChannel channel = Files.newByteChannel(file)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(Math.max(0, channel.size() - fromOffset), 1 << 20));
            channel.position(Math.max(fromOffset, channel.size() - buffer.capacity()));
            channel.read(buffer);
            List<String> all = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
