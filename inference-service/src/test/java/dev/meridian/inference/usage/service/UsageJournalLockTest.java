package dev.meridian.inference.usage.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.inference.usage.UsageRecord;
import dev.meridian.inference.usage.config.UsageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal's file locks, seen from another instance sharing the directory (a process of its own: Java's file
 * locks are per process). A lock this instance holds must hold against the others, or two instances work on one
 * segment: one ships and deletes the segment another is still writing, and the records written after that are lost
 * (a billing under-count seen once in the failover test).
 */
class UsageJournalLockTest {

    @TempDir
    Path dir;

    private UsageJournal journal;

    @BeforeEach
    void start() {
        journal = new UsageJournal(config(dir), new ObjectMapper().findAndRegisterModules());
    }

    @AfterEach
    void stop() throws InterruptedException {
        journal.stop();
    }

    @Test
    void aSegmentBeingShippedStaysLockedAgainstOtherInstances() throws Exception {
        for (int i = 0; i < 3; i++) {
            journal.append(record(i)).await().atMost(Duration.ofSeconds(5));
        }
        journal.rotate().get(5, TimeUnit.SECONDS);
        List<UsageJournal.Segment> claimed = journal.claim(100);
        try {
            assertEquals(1, claimed.size(), "the closed segment is claimed");
            assertEquals(3, claimed.get(0).records().size());
            // reading the records used to open the file a second time, and closing that dropped the claim
            assertEquals("refused", probe(claimed.get(0).path()), "another instance could claim the same segment");
        } finally {
            claimed.forEach(UsageJournal.Segment::close);
        }
    }

    @Test
    void theWritersNewSegmentStaysLockedWhileTheShipperLooksForAbandonedOnes() throws Exception {
        // the writer's state between creating its next segment and renaming it: created and locked by this process
        Path opening = dir.resolve("usage-" + System.currentTimeMillis() + "-" + UUID.randomUUID() + ".opening");
        try (FileChannel writer = FileChannel.open(opening, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writer.lock();
            journal.claim(100); // removes abandoned openings: must not touch this one
            assertTrue(Files.exists(opening));
            assertEquals("refused", probe(opening), "the writer's lock was dropped: another instance could ship"
                    + " (and delete) the segment while it is written");
        }
    }

    /** Whether another process can lock {@code file} right now. */
    private static String probe(Path file) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName(), file.toString()).redirectErrorStream(true).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the probe did not finish");
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    private static UsageRecord record(int n) {
        return new UsageRecord("key-" + n, "req-" + n, UUID.randomUUID(), null, "all-minilm-l6-v2", "/v1/embeddings",
                1, 5, Instant.now());
    }

    private static UsageConfig config(Path dir) {
        return new UsageConfig() {
            @Override
            public String journalDir() {
                return dir.toString();
            }

            @Override
            public Duration shipInterval() {
                return Duration.ofSeconds(1);
            }

            @Override
            public int shipBatch() {
                return 500;
            }

            @Override
            public int maxPending() {
                return 100;
            }

            @Override
            public long maxBacklogBytes() {
                return 1 << 20;
            }
        };
    }
}
