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

/** Child processes of the launcher and the test resources: starting and stopping them, reading what they logged. */
public final class Processes {

    /** How often a start that hit "Text file busy" is tried again, 50 ms apart. */
    private static final int BUSY_RETRIES = 20;

    private Processes() {
    }

    /**
     * Starts a program this JVM has just written to disk (an extracted binary). If another thread forks a child while
     * the file is still open for writing, that child holds the descriptor until it execs, and executing the file
     * meanwhile fails with ETXTBSY ("error=26, Text file busy", JDK-8068370). The window is a few milliseconds, so the
     * start is tried again briefly; any other failure is thrown at once.
     */
    public static Process startFreshExecutable(ProcessBuilder builder) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                return builder.start();
            } catch (IOException e) {
                if (attempt >= BUSY_RETRIES || e.getMessage() == null || !e.getMessage().contains("error=26")) {
                    throw e;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(50);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
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
