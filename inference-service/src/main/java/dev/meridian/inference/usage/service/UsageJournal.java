package dev.meridian.inference.usage.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.deadline.CallerContext;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.usage.UsageRecord;
import dev.meridian.inference.usage.config.UsageConfig;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The local journal of billable calls: a call is answered only after its record is in the operating system's hands
 * (written to the current segment), so killing the process loses none; PostgreSQL may be down meanwhile. One writer
 * thread appends whatever has queued up in one write. The writer holds an exclusive lock on the segment it writes; a
 * closed segment, or one whose writer died (the lock goes with the process), can be claimed by any instance's
 * shipper sharing the directory. Lines are JSON, one record each.
 * <p>
 * Java's file locks are POSIX record locks, held by the process: closing ANY descriptor of a file drops the process'
 * lock on it, whichever channel took it. So this class never opens a second descriptor of a file it holds: a claimed
 * segment is read through its claiming channel, and the writer's own files are never touched by the shipper
 * (otherwise another instance could claim the live segment, ship and delete it, and the records written after that
 * would be lost).
 */
@ApplicationScoped
public class UsageJournal {

    private static final Logger LOG = Logger.getLogger(UsageJournal.class);
    private static final String SUFFIX = ".jsonl";
    private static final String OPENING = ".opening";
    private static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);
    /** A disk that does not take a few hundred bytes within this is broken: the call fails rather than hangs. */
    private static final Duration WRITE_DEADLINE = Duration.ofSeconds(2);

    private final Path dir;
    private final ObjectMapper json;
    private final long maxBacklogBytes;
    private final ArrayBlockingQueue<Pending> pending;
    private final AtomicReference<CompletableFuture<Void>> rotation = new AtomicReference<>();
    private final Thread writer;
    private volatile boolean running = true;
    private volatile long backlogBytes;
    private volatile Path current;
    /** The writer's next segment between its creation and its rename. */
    private volatile Path opening;
    private FileChannel channel;
    private FileLock lock;
    private long written;

    private record Pending(byte[] line, CompletableFuture<Void> done) {
    }

    /** A segment this shipper holds the lock of, with the complete records it has. */
    public record Segment(Path path, FileChannel channel, List<UsageRecord> records) implements AutoCloseable {
        @Override
        public void close() {
            try {
                channel.close(); // releases the lock
            } catch (IOException e) {
                LOG.debugf("closing %s: %s", path, e);
            }
        }
    }

    public UsageJournal(UsageConfig config, ObjectMapper json) {
        this.dir = Path.of(config.journalDir()).toAbsolutePath();
        this.json = json;
        this.maxBacklogBytes = config.maxBacklogBytes();
        this.pending = new ArrayBlockingQueue<>(config.maxPending());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the usage journal " + dir, e);
        }
        this.writer = new Thread(this::writeLoop, "usage-journal-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Completes once the record is written; fails with 503 when the journal cannot take it. */
    public Uni<Void> append(UsageRecord record) {
        if (backlogBytes > maxBacklogBytes) {
            return Uni.createFrom().failure(InferenceException.unavailable("usage_unavailable",
                    "usage cannot be recorded right now (its store is behind); retry shortly"));
        }
        byte[] line;
        try {
            line = (json.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!running || !pending.offer(new Pending(line, done))) {
            return Uni.createFrom().failure(InferenceException.unavailable("usage_unavailable",
                    "too many calls are waiting to be recorded; retry shortly"));
        }
        return Uni.createFrom().completionStage(done)
                .ifNoItem().after(WRITE_DEADLINE).failWith(() -> InferenceException.unavailable("usage_unavailable",
                        "usage could not be recorded in time; retry shortly"))
                .emitOn(CallerContext.current());
    }

    /** Closes the current segment if it has records, so that it can be shipped; completes when done. */
    public CompletableFuture<Void> rotate() {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> requested = rotation.compareAndExchange(null, mine);
        return requested == null ? mine : requested;
    }

    /** What the shipper last saw on disk, for the bound and the metric. */
    public void backlog(long bytes) {
        backlogBytes = bytes;
    }

    public long backlogBytes() {
        return backlogBytes;
    }

    /**
     * Up to {@code maxRecords} records from segments nobody writes (this process' current one excluded, another
     * process' held by its lock), each claimed by its lock until closed. Blocking file I/O: call off the event loop.
     */
    public List<Segment> claim(int maxRecords) throws IOException {
        List<Segment> claimed = new ArrayList<>();
        int records = 0;
        long bytes = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path file : files) {
                bytes += sizeOf(file);
                if (records >= maxRecords || file.equals(current)) {
                    continue;
                }
                Segment segment = tryClaim(file);
                if (segment != null) {
                    claimed.add(segment);
                    records += segment.records().size();
                }
            }
        }
        backlog(bytes);
        removeAbandonedOpenings();
        return claimed;
    }

    /** After its records are stored: the segment goes, then its lock. */
    public void shipped(Segment segment) {
        try (segment) {
            Files.deleteIfExists(segment.path());
        } catch (IOException e) {
            LOG.warnf("shipped usage segment %s could not be deleted (its records are deduplicated if shipped again):"
                    + " %s", segment.path(), e);
        }
    }

    private Segment tryClaim(Path file) {
        FileChannel fc = null;
        try {
            fc = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock claimed = fc.tryLock();
            if (claimed == null) {
                fc.close();
                return null; // another process writes or ships it
            }
            byte[] bytes = readAll(fc);
            List<UsageRecord> records = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    // a line without its newline was being written when the writer died: never acknowledged
                    try {
                        records.add(json.readValue(bytes, start, i - start, UsageRecord.class));
                    } catch (JsonProcessingException e) {
                        LOG.errorf("usage segment %s: an unreadable record at byte %d is skipped: %s", file, start,
                                e.getOriginalMessage());
                    }
                    start = i + 1;
                }
            }
            return new Segment(file, fc, records);
        } catch (OverlappingFileLockException e) {
            close(fc);
            return null; // this process already holds it
        } catch (IOException e) {
            close(fc);
            LOG.warnf("usage segment %s cannot be read yet: %s", file, e);
            return null;
        }
    }

    /** Through the claiming channel: another descriptor's close would drop the claim (see the class comment). */
    private static byte[] readAll(FileChannel fc) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(fc.size()));
        while (buffer.hasRemaining() && fc.read(buffer, buffer.position()) >= 0) {
            // a file is read until full or at its end
        }
        return buffer.array();
    }

    /**
     * A writer that died between creating and renaming its segment had written nothing to it. Only old ones go, and
     * never this process' writer's own (opening it would drop its lock, see the class comment): another live writer
     * holds its lock a moment after creating the file, and one caught in that moment must not lose it.
     */
    private void removeAbandonedOpenings() throws IOException {
        long before = System.currentTimeMillis() - ABANDONED_AFTER.toMillis();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + OPENING)) {
            for (Path file : files) {
                try {
                    if (file.equals(opening) || Files.getLastModifiedTime(file).toMillis() >= before) {
                        continue;
                    }
                    try (FileChannel fc = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        if (fc.tryLock() != null) {
                            Files.deleteIfExists(file);
                        }
                    }
                } catch (OverlappingFileLockException | IOException e) {
                    // being opened by another process, or gone
                }
            }
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // shipped meanwhile
        }
    }

    private static void close(FileChannel fc) {
        if (fc != null) {
            try {
                fc.close();
            } catch (IOException ignored) {
                // nothing was claimed
            }
        }
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>();
        while (running || !pending.isEmpty()) {
            try {
                Pending first = pending.poll(50, TimeUnit.MILLISECONDS);
                CompletableFuture<Void> rotate = rotation.getAndSet(null);
                if (rotate != null) {
                    if (written > 0) {
                        closeSegment();
                    }
                    rotate.complete(null);
                }
                if (first == null) {
                    continue;
                }
                batch.add(first);
                pending.drainTo(batch, 1023);
                write(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                batch.clear();
            }
        }
        closeSegment();
    }

    private void write(List<Pending> batch) {
        int size = 0;
        for (Pending p : batch) {
            size += p.line().length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        batch.forEach(p -> buffer.put(p.line()));
        buffer.flip();
        try {
            if (channel == null) {
                openSegment();
            }
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            written += size;
            batch.forEach(p -> p.done().complete(null));
        } catch (IOException | RuntimeException e) {
            LOG.errorf("usage journal %s: cannot write %d records: %s", dir, batch.size(), e);
            batch.forEach(p -> p.done().completeExceptionally(InferenceException.unavailable("usage_unavailable",
                    "usage could not be recorded; retry shortly")));
            closeSegment(); // a partly written line stays without its newline and is skipped
        }
    }

    /**
     * Created under another name and renamed once locked: a shipper must never claim (and delete) a segment between
     * its creation and its writer's lock.
     */
    private void openSegment() throws IOException {
        String name = "usage-" + System.currentTimeMillis() + "-" + UUID.randomUUID();
        Path file = dir.resolve(name + SUFFIX);
        opening = dir.resolve(name + OPENING);
        channel = FileChannel.open(opening, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        lock = channel.lock();
        current = file;
        Files.move(opening, file);
        opening = null;
        written = 0;
    }

    private void closeSegment() {
        if (channel == null) {
            return;
        }
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            LOG.warnf("closing usage segment %s: %s", current, e);
        }
        channel = null;
        lock = null;
        current = null;
    }

    @PreDestroy
    void stop() throws InterruptedException {
        running = false;
        writer.join(TimeUnit.SECONDS.toMillis(5));
    }
}
