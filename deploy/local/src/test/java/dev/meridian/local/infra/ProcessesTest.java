package dev.meridian.local.infra;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessesTest {

    @TempDir
    Path dir;

    /** What a child forked mid-extraction does to the launcher: the new binary stays open for writing a moment longer. */
    @Test
    void aFreshExecutableStillOpenForWritingStartsOnceItIsClosed() throws Exception {
        Path script = dir.resolve("fresh.sh");
        FileOutputStream writer = new FileOutputStream(script.toFile());
        writer.write("#!/bin/sh\nexit 7\n".getBytes(StandardCharsets.US_ASCII));
        writer.flush();
        assertTrue(script.toFile().setExecutable(true));
        ProcessBuilder builder = new ProcessBuilder(script.toString());
        IOException busy = assertThrows(IOException.class, builder::start); // the kernel refuses: ETXTBSY
        assertTrue(busy.getMessage().contains("error=26"), busy.getMessage());

        CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(() -> {
            try {
                writer.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Process process = Processes.startFreshExecutable(builder);
        assertEquals(7, process.waitFor());
    }

    @Test
    void otherFailuresAreNotRetried() {
        IOException missing = assertThrows(IOException.class,
                () -> Processes.startFreshExecutable(new ProcessBuilder(dir.resolve("absent").toString())));
        assertTrue(missing.getMessage().contains("error=2"), missing.getMessage());
    }
}
