package dev.meridian.inference.model;

import dev.meridian.inference.model.MicroBatcher.Priority;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batching rules, with a stand-in model that records the batches it is given (pure logic, no ONNX). */
class MicroBatcherTest {

    private static final int WARM_UP_LENGTH = 16;

    /** Every batch the fake model ran, warm-up excluded. */
    private final BlockingQueue<List<long[]>> batches = new LinkedBlockingQueue<>();
    private final CountDownLatch gate = new CountDownLatch(1);
    private volatile boolean holdBatches;
    private volatile long batchMillis;
    private final java.util.concurrent.atomic.AtomicInteger batchesRun = new java.util.concurrent.atomic.AtomicInteger();
    private double paddingRatio = 100; // off unless a test is about it
    private MicroBatcher batcher;
    private Tracer tracer = OpenTelemetry.noop().getTracer("test");

    /** A vector that identifies its input: [first id, length]. */
    private final BatchRunner model = batch -> {
        if (batch.get(0).length == WARM_UP_LENGTH && batch.get(0)[0] == 0) {
            return new float[batch.size()][2];
        }
        batches.add(new ArrayList<>(batch));
        batchesRun.incrementAndGet();
        if (holdBatches) {
            gate.await();
        }
        if (batchMillis > 0) {
            Thread.sleep(batchMillis); // the model's compute time, so a backlog takes a while to work through
        }
        float[][] out = new float[batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
            out[i] = new float[]{batch.get(i)[0], batch.get(i).length};
        }
        return out;
    };

    private MicroBatcher start(int maxBatch, int maxTokens, Duration maxWait, int capacity, Duration timeout) {
        return start(maxBatch, maxTokens, maxWait, capacity, capacity, timeout);
    }

    private MicroBatcher start(int maxBatch, int maxTokens, Duration maxWait, int capacity, int tenantCapacity,
                               Duration timeout) {
        batcher = new MicroBatcher("test", new MicroBatcher.Settings(maxBatch, maxTokens, paddingRatio, 8, maxWait, capacity,
                tenantCapacity, 256, timeout),
                () -> model, WARM_UP_LENGTH, new SimpleMeterRegistry(), Tags.empty(), tracer);
        return batcher;
    }

    @AfterEach
    void stop() {
        gate.countDown();
        if (batcher != null) {
            batcher.close();
        }
    }

    private static long[] ids(long first, int length) {
        long[] ids = new long[length];
        ids[0] = first;
        return ids;
    }

    @Test
    void everyCallerGetsTheVectorOfItsOwnInput() throws Exception {
        start(8, 4096, Duration.ofMillis(2), 1000, Duration.ofSeconds(10));
        List<CompletableFuture<float[]>> results = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            results.addAll(batcher.submit(List.of(ids(i, 1 + i % 7)), Priority.INTERACTIVE, "t"));
        }
        for (int i = 1; i <= 50; i++) {
            float[] vector = results.get(i - 1).get(5, TimeUnit.SECONDS);
            assertEquals(i, vector[0]);
            assertEquals(1 + i % 7, vector[1]);
        }
        assertTrue(batches.stream().allMatch(b -> b.size() <= 8), "no batch exceeds the item limit");
    }

    @Test
    void waitingItemsAreSortedByLengthAndCutByThePaddedTokenBudget() throws Exception {
        start(32, 40, Duration.ofMillis(50), 1000, Duration.ofSeconds(10));
        List<long[]> inputs = List.of(ids(1, 20), ids(2, 3), ids(3, 10), ids(4, 4), ids(5, 20), ids(6, 5));
        List<CompletableFuture<float[]>> results = batcher.submit(inputs, Priority.INTERACTIVE, "t");
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);

        List<List<long[]>> ran = new ArrayList<>(batches);
        for (List<long[]> batch : ran) {
            int longest = batch.stream().mapToInt(b -> b.length).max().orElseThrow();
            assertTrue(longest * batch.size() <= 40, "padded tokens within budget");
        }
        List<Integer> lengths = ran.stream().flatMap(List::stream).map(b -> b.length).toList();
        List<Integer> sorted = new ArrayList<>(lengths);
        Collections.sort(sorted);
        assertEquals(sorted, lengths, "shortest first, so short inputs are not padded to long ones");
        assertEquals(List.of(3, 4, 5, 10), ran.get(0).stream().map(b -> b.length).toList());
    }

    @Test
    void onceABatchHasEightItemsItClosesBeforeALongItemWouldMostlyAddPadding() throws Exception {
        paddingRatio = 1.1;
        start(32, 4096, Duration.ofMillis(50), 1000, Duration.ofSeconds(10));
        List<long[]> inputs = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            inputs.add(ids(i + 1, 4));
        }
        inputs.add(ids(10, 20));
        List<CompletableFuture<float[]>> results = batcher.submit(inputs, Priority.INTERACTIVE, "t");
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);

        assertEquals(List.of(9, 1), batches.stream().map(List::size).toList(),
                "nine short items together, the long one alone (10 x 20 padded tokens for 56 real ones would be waste)");
    }

    @Test
    void aBatchClosesAtTheMaximumWaitWhenTrafficIsLight() throws Exception {
        start(32, 4096, Duration.ofMillis(20), 1000, Duration.ofSeconds(10));
        float[] vector = batcher.submit(List.of(ids(7, 3)), Priority.INTERACTIVE, "t").get(0).get(5, TimeUnit.SECONDS);
        assertEquals(7, vector[0]);
        assertEquals(1, batches.poll().size());
    }

    @Test
    void interactiveItemsRunBeforeBackgroundItemsThatWaitedLonger() throws Exception {
        start(4, 4096, Duration.ofMillis(1), 1000, Duration.ofSeconds(10));
        holdBatches = true;
        CompletableFuture<float[]> blocker = batcher.submit(List.of(ids(99, 2)), Priority.INTERACTIVE, "t").get(0);
        assertEquals(99, batches.poll(5, TimeUnit.SECONDS).get(0)[0]); // the model is now busy with it

        List<long[]> jobs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            jobs.add(ids(100 + i, 2));
        }
        batcher.submit(jobs, Priority.BACKGROUND, "t");
        CompletableFuture<float[]> interactive = batcher.submit(List.of(ids(1, 2)), Priority.INTERACTIVE, "t").get(0);
        gate.countDown();

        interactive.get(5, TimeUnit.SECONDS);
        blocker.get(5, TimeUnit.SECONDS);
        List<long[]> next = batches.poll(5, TimeUnit.SECONDS);
        assertTrue(next.stream().anyMatch(b -> b[0] == 1), "the interactive item is in the first batch after the busy one");
    }

    /**
     * Tenant A keeps three 200-input requests coming (its share holds two) while B sends single inputs one after the
     * other: B is never refused, and each of B's inputs runs within three batches of arriving (the batch running,
     * then the next window, cut across both tenants), not behind A's backlog of dozens.
     */
    @Test
    void aTenantsBacklogDelaysAnotherTenantsInputByAtMostThreeBatches() throws Exception {
        batchMillis = 2;
        start(8, 4096, Duration.ofMillis(1), 1000, 400, Duration.ofSeconds(30));
        List<CompletableFuture<float[]>> backlog = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            List<long[]> inputs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                inputs.add(ids(1000 + r * 200 + i, 2 + i % 9));
            }
            backlog.addAll(batcher.submit(inputs, Priority.INTERACTIVE, "A"));
        }
        List<long[]> third = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            third.add(ids(2000 + i, 4));
        }
        assertThrows(MicroBatcher.QueueFullException.class, () -> batcher.submit(third, Priority.INTERACTIVE, "A"),
                "A's share holds two of its requests");
        int worst = 0;
        for (int i = 0; i < 20; i++) {
            CompletableFuture<float[]> mine = batcher.submit(List.of(ids(i + 1, 3)), Priority.INTERACTIVE, "B").get(0);
            int queued = batchesRun.get(); // from once it is queued, as in the padding-cut test below
            mine.get(10, TimeUnit.SECONDS);
            worst = Math.max(worst, batchesRun.get() - queued);
        }
        assertTrue(worst <= 3, "one of B's inputs waited for " + worst + " batches");
        assertTrue(backlog.stream().anyMatch(f -> !f.isDone()), "A's backlog outlasted B's inputs: the test measured nothing");
        CompletableFuture.allOf(backlog.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    }

    /**
     * B's input is longer than any of A's: sorted by length it would always come last, and the padding cut would leave
     * it for the next batch, where the same happens again while A's backlog lasts.
     */
    @Test
    void anotherTenantsLongInputIsNotLeftBehindByThePaddingCut() throws Exception {
        paddingRatio = 1.1;
        batchMillis = 2;
        start(16, 4096, Duration.ofMillis(1), 1000, 400, Duration.ofSeconds(30));
        List<CompletableFuture<float[]>> backlog = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            List<long[]> inputs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                inputs.add(ids(1000 + r * 200 + i, 4 + i % 2));
            }
            backlog.addAll(batcher.submit(inputs, Priority.INTERACTIVE, "A"));
        }
        int worst = 0;
        for (int i = 0; i < 10; i++) {
            CompletableFuture<float[]> mine = batcher.submit(List.of(ids(i + 1, 40)), Priority.INTERACTIVE, "B").get(0);
            // counted from once it is queued: a count taken before submit also counts batches run while this thread
            // was descheduled on a busy machine (4 seen), which B never waited for
            int queued = batchesRun.get();
            mine.get(10, TimeUnit.SECONDS);
            worst = Math.max(worst, batchesRun.get() - queued);
        }
        assertTrue(worst <= 3, "one of B's long inputs waited for " + worst + " batches");
        assertTrue(backlog.stream().anyMatch(f -> !f.isDone()), "A's backlog outlasted B's inputs: the test measured nothing");
        CompletableFuture.allOf(backlog.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    }

    @Test
    void aFullQueueRefusesTheWholeRequestAndKeepsServingOthers() throws Exception {
        start(2, 4096, Duration.ofMillis(1), 5, Duration.ofSeconds(10));
        holdBatches = true;
        CompletableFuture<float[]> busy = batcher.submit(List.of(ids(1, 2)), Priority.INTERACTIVE, "t").get(0);
        batches.poll(5, TimeUnit.SECONDS);
        List<CompletableFuture<float[]>> queued = batcher.submit(List.of(ids(2, 2), ids(3, 2), ids(4, 2)), Priority.INTERACTIVE, "t");

        assertThrows(MicroBatcher.QueueFullException.class,
                () -> batcher.submit(List.of(ids(5, 2), ids(6, 2), ids(7, 2)), Priority.INTERACTIVE, "t"));
        assertEquals(3, batcher.depth(), "nothing of the refused request was queued");

        gate.countDown();
        busy.get(5, TimeUnit.SECONDS);
        for (CompletableFuture<float[]> f : queued) {
            f.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void itemsPastTheirDeadlineOrWhoseCallerLeftNeverReachTheModel() throws Exception {
        start(4, 4096, Duration.ofMillis(1), 100, Duration.ofMillis(100));
        holdBatches = true;
        CompletableFuture<float[]> busy = batcher.submit(List.of(ids(1, 2)), Priority.INTERACTIVE, "t").get(0);
        batches.poll(5, TimeUnit.SECONDS);
        CompletableFuture<float[]> expires = batcher.submit(List.of(ids(2, 2)), Priority.INTERACTIVE, "t").get(0);
        CompletableFuture<float[]> abandoned = batcher.submit(List.of(ids(3, 2)), Priority.INTERACTIVE, "t").get(0);
        abandoned.cancel(false);

        TimeUnit.MILLISECONDS.sleep(150); // the passing of time is the subject here: the 100 ms deadline expires
        gate.countDown();

        ExecutionException timedOut = assertThrows(ExecutionException.class, () -> expires.get(5, TimeUnit.SECONDS));
        assertInstanceOf(MicroBatcher.DeadlineExceededException.class, timedOut.getCause());
        busy.get(5, TimeUnit.SECONDS);
        batcher.submit(List.of(ids(4, 2)), Priority.INTERACTIVE, "t").get(0).get(5, TimeUnit.SECONDS);
        assertFalse(batches.stream().flatMap(List::stream).anyMatch(b -> b[0] == 2 || b[0] == 3),
                "neither the expired nor the abandoned item ran");
    }

    @Test
    void aModelThatCannotLoadIsReportedAndRefusesWork() throws Exception {
        batcher = new MicroBatcher("broken", new MicroBatcher.Settings(4, 4096, 1.1, 8, Duration.ofMillis(1), 10,
                10, 256, Duration.ofSeconds(1)), () -> { throw new IllegalStateException("no such file"); }, WARM_UP_LENGTH,
                new SimpleMeterRegistry(), Tags.empty(), tracer);
        while (batcher.failure() == null) {
            Thread.onSpinWait();
        }
        assertFalse(batcher.ready());
        assertEquals("no such file", batcher.failure());
        assertThrows(IllegalStateException.class, () -> batcher.submit(List.of(ids(1, 2)), Priority.INTERACTIVE, "t"));
    }

    @Test
    void aBatchIsOneSpanLinkedToEveryRequestItServedAndEachRequestSeesItsWaitInItsOwnTrace() throws Exception {
        List<SpanData> spans = new CopyOnWriteArrayList<>();
        SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(
                new SpanExporter() {
                    @Override
                    public CompletableResultCode export(Collection<SpanData> finished) {
                        spans.addAll(finished);
                        return CompletableResultCode.ofSuccess();
                    }

                    @Override
                    public CompletableResultCode flush() {
                        return CompletableResultCode.ofSuccess();
                    }

                    @Override
                    public CompletableResultCode shutdown() {
                        return CompletableResultCode.ofSuccess();
                    }
                })).build();
        tracer = provider.get("test");
        // three items fill a batch at once: both requests are in it
        start(3, 4096, Duration.ofSeconds(5), 1000, Duration.ofSeconds(10));
        Span first = tracer.spanBuilder("first request").startSpan();
        Span second = tracer.spanBuilder("second request").startSpan();
        List<CompletableFuture<float[]>> results = new ArrayList<>();
        try (Scope ignored = first.makeCurrent()) {
            results.addAll(batcher.submit(List.of(ids(1, 3), ids(2, 3)), Priority.INTERACTIVE, "t"));
        }
        try (Scope ignored = second.makeCurrent()) {
            results.addAll(batcher.submit(List.of(ids(3, 3)), Priority.INTERACTIVE, "t"));
        }
        for (CompletableFuture<float[]> result : results) {
            result.get(5, TimeUnit.SECONDS);
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                spans.stream().filter(span -> span.getName().equals("test embed")).count() == 2);

        SpanData batch = spans.stream().filter(span -> span.getName().equals("test batch")).findFirst().orElseThrow();
        assertFalse(batch.getParentSpanContext().isValid(), "a batch belongs to no single request");
        assertEquals(3L, batch.getAttributes().get(AttributeKey.longKey("meridian.batch.size")));
        assertEquals(Set.of(first.getSpanContext(), second.getSpanContext()),
                batch.getLinks().stream().map(LinkData::getSpanContext).collect(Collectors.toSet()));
        for (Span request : List.of(first, second)) {
            SpanData embed = spans.stream().filter(span -> span.getName().equals("test embed")
                    && span.getParentSpanId().equals(request.getSpanContext().getSpanId())).findFirst().orElseThrow();
            assertEquals(request.getSpanContext().getTraceId(), embed.getTraceId());
            assertEquals(request == first ? 2L : 1L, embed.getAttributes().get(AttributeKey.longKey("meridian.inputs")));
            assertEquals(3L, embed.getAttributes().get(AttributeKey.longKey("meridian.batch.size")));
            assertTrue(embed.getAttributes().get(AttributeKey.doubleKey("meridian.queue_ms")) >= 0);
            assertEquals(batch.getSpanContext(), embed.getLinks().get(0).getSpanContext());
        }
    }
}
