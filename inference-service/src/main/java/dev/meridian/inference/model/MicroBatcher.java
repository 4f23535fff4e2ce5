package dev.meridian.inference.model;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Dynamic micro-batching in front of one model version, on its own thread. Waiting items are taken interactive
 * first, sorted by token length (less padding), and cut into batches that close on whichever comes first: the item
 * limit, the padded-token budget (batch size x longest sequence), or the oldest item's maximum wait. The queue is
 * bounded, and so is each tenant's share of it (callers get {@link QueueFullException}); an item whose caller left or
 * whose deadline passed is dropped before it reaches the model.
 * <p>
 * Fair between tenants: each tenant's items wait in a queue of their own and are taken round robin
 * ({@link TenantQueues}). While several tenants wait, a window holds one batch's worth in round-robin order and runs
 * unsorted, so every waiting tenant has an input in the next batch, however long it is; and a tenant whose items arrive
 * while a window of others' is being cut gets the next window. A tenant alone gets the full sort window.
 */
public final class MicroBatcher implements AutoCloseable {

    public enum Priority { INTERACTIVE, BACKGROUND }

    /** @param tenantQueueCapacity items one tenant may have waiting, of the queue's capacity */
    public record Settings(int maxBatchSize, int maxBatchTokens, double maxPaddingRatio, int paddingCutMinBatch,
                           Duration maxWait, int queueCapacity, int tenantQueueCapacity, int sortWindow,
                           Duration timeout) {
    }

    /** Thrown by submit when the queue cannot take every item of a request. */
    public static final class QueueFullException extends RuntimeException {
        QueueFullException(String message) {
            super(message, null, false, false);
        }
    }

    /** Completes an item whose deadline passed while it waited. */
    public static final class DeadlineExceededException extends RuntimeException {
        DeadlineExceededException() {
            super("the request waited longer than its deadline for the model", null, false, false);
        }
    }

    private static final Logger LOG = Logger.getLogger(MicroBatcher.class);

    private final String name;
    private final Settings settings;
    private final Supplier<? extends BatchRunner> loader;
    private final int warmUpLength;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final TenantQueues<Item> interactive = new TenantQueues<>();
    private final TenantQueues<Item> background = new TenantQueues<>();
    /** Items per tenant from submit until their vector (or failure): queued or in a batch; none, no entry. */
    private final Map<String, Integer> pendingByTenant = new HashMap<>();
    private final Thread thread;
    private int waiting;
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile String failure;

    private final Tracer tracer;
    private final Timer queueTime;
    private final Timer inferenceTime;
    private final DistributionSummary batchSize;
    private final DistributionSummary realTokens;
    private final DistributionSummary paddedTokens;
    private final Counter rejectedFull;
    private final Counter rejectedTenantFull;
    private final Counter rejectedDeadline;

    /**
     * @param loader       builds the runner on the batcher's thread (model loading stays off the caller)
     * @param warmUpLength the longest sequence the model will see; the warm-up batch has this shape
     */
    public MicroBatcher(String name, Settings settings, Supplier<? extends BatchRunner> loader, int warmUpLength,
                        MeterRegistry meters, Tags tags, Tracer tracer) {
        this.name = name;
        this.tracer = tracer;
        this.settings = settings;
        this.loader = loader;
        this.warmUpLength = warmUpLength;
        queueTime = Timer.builder("meridian.inference.queue.duration").description("time an item waited for its batch")
                .publishPercentileHistogram().tags(tags).register(meters);
        inferenceTime = Timer.builder("meridian.inference.batch.duration").description("model time per batch")
                .publishPercentileHistogram().tags(tags).register(meters);
        batchSize = DistributionSummary.builder("meridian.inference.batch.size").description("items per batch")
                .tags(tags).register(meters);
        realTokens = DistributionSummary.builder("meridian.inference.batch.tokens").description("tokens per batch")
                .tags(tags).tag("kind", "real").register(meters);
        paddedTokens = DistributionSummary.builder("meridian.inference.batch.tokens").description("tokens per batch")
                .tags(tags).tag("kind", "padded").register(meters);
        rejectedFull = Counter.builder("meridian.inference.rejected").description("items refused or dropped")
                .tags(tags).tag("reason", "queue_full").register(meters);
        rejectedTenantFull = Counter.builder("meridian.inference.rejected").description("items refused or dropped")
                .tags(tags).tag("reason", "tenant_queue_full").register(meters);
        rejectedDeadline = Counter.builder("meridian.inference.rejected").description("items refused or dropped")
                .tags(tags).tag("reason", "deadline").register(meters);
        Gauge.builder("meridian.inference.queue.depth", this, MicroBatcher::depth).description("items waiting")
                .tags(tags).register(meters);
        // depth / capacity is the saturation an alert watches: at 1 new requests get 429
        Gauge.builder("meridian.inference.queue.capacity", settings, Settings::queueCapacity)
                .description("items that may wait before new ones are refused").tags(tags).register(meters);
        thread = new Thread(this::loop, "inference-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** True once the model is loaded and has run a warm-up batch at its largest shape. */
    public boolean ready() {
        return ready;
    }

    /** Why the model could not be loaded, or null. */
    public String failure() {
        return failure;
    }

    public int depth() {
        return waiting;
    }

    /**
     * Queues every input of one request, or none of them. Each future completes with that input's vector.
     *
     * @param tenant whose share of the model this is (the end user)
     */
    public List<CompletableFuture<float[]>> submit(List<long[]> inputs, Priority priority, String tenant) {
        long now = System.nanoTime();
        long deadline = now + settings.timeout().toNanos();
        List<CompletableFuture<float[]>> results = new ArrayList<>(inputs.size());
        lock.lock();
        try {
            if (!running || failure != null) {
                throw new IllegalStateException(name + (failure != null ? " could not be loaded" : " is shut down"));
            }
            refuseIfFull(tenant, inputs.size());
            int pending = pendingByTenant.getOrDefault(tenant, 0);
            TenantQueues<Item> queue = priority == Priority.INTERACTIVE ? interactive : background;
            SpanContext caller = Span.current().getSpanContext();
            Instant enqueuedAt = Instant.now();
            for (long[] ids : inputs) {
                Item item = new Item(ids, priority, tenant, now, deadline, caller, enqueuedAt);
                queue.addLast(tenant, item);
                results.add(item.result);
                item.result.whenComplete((vector, error) -> done(tenant));
            }
            waiting += inputs.size();
            pendingByTenant.put(tenant, pending + inputs.size());
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
        return results;
    }

    /**
     * Refuses now, before anything is spent on them (tokenizing thousands of inputs costs more CPU than a batch),
     * inputs that could not be queued: the tenant's share or the queue is full. {@link #submit} checks again.
     */
    public void checkRoom(String tenant, int inputs) {
        lock.lock();
        try {
            refuseIfFull(tenant, inputs);
        } finally {
            lock.unlock();
        }
    }

    private void refuseIfFull(String tenant, int inputs) {
        int pending = pendingByTenant.getOrDefault(tenant, 0);
        if (pending + inputs > settings.tenantQueueCapacity()) {
            rejectedTenantFull.increment(inputs);
            throw new QueueFullException("you have " + pending + " inputs waiting for " + name
                    + " (at most " + settings.tenantQueueCapacity() + "); retry when some are done");
        }
        if (waiting + inputs > settings.queueCapacity()) {
            rejectedFull.increment(inputs);
            throw new QueueFullException(name + " has " + waiting + " inputs waiting (capacity "
                    + settings.queueCapacity() + "); retry shortly");
        }
    }

    private void loop() {
        BatchRunner runner;
        try {
            runner = loader.get();
            int rows = Math.max(1, Math.min(settings.maxBatchSize(), settings.maxBatchTokens() / warmUpLength));
            runner.run(Collections.nCopies(rows, new long[warmUpLength]));
            ready = true;
            LOG.infof("%s loaded and warmed up at %d x %d tokens", name, rows, warmUpLength);
        } catch (Throwable e) {
            failure = String.valueOf(e.getMessage());
            LOG.errorf(e, "%s could not be loaded", name);
            failAll(e);
            return;
        }
        List<Item> window = new ArrayList<>();
        while (running) {
            boolean shared;
            try {
                shared = takeWindow(window);
            } catch (InterruptedException e) {
                break;
            }
            if (!shared) {
                window.sort(Comparator.comparingInt(item -> item.ids.length));
            }
            int from = 0;
            while (from < window.size()) {
                int to = cut(window, from, !shared);
                runBatch(runner, window.subList(from, to));
                from = to;
                if (from < window.size() && (interactiveWaitsBehindBackground(window, from)
                        || aTenantWaitsOutside(window, from))) {
                    requeue(window.subList(from, window.size()));
                    break;
                }
            }
            window.clear();
        }
        failAll(new IllegalStateException(name + " is shut down"));
        if (runner instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.debugf(e, "closing %s", name);
            }
        }
    }

    /**
     * Blocks until something waits, then until a batch is full or the oldest item's wait is over. True when the window
     * is shared by several tenants: one batch's worth in round-robin order, to run as it is (sorting it by length and
     * cutting off padding would leave out whichever tenant's input is longest, again and again).
     */
    private boolean takeWindow(List<Item> window) throws InterruptedException {
        lock.lock();
        try {
            boolean shared = false;
            while (window.isEmpty()) {
                while (waiting == 0) {
                    notEmpty.await();
                }
                long closeAt = oldestEnqueued() + settings.maxWait().toNanos();
                while (waiting < settings.maxBatchSize()) {
                    long left = closeAt - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    notEmpty.awaitNanos(left);
                }
                long now = System.nanoTime();
                // several tenants waiting: one batch's worth at a time, taken round robin, so each gets a place in
                // the next batch instead of waiting behind a whole sorted window of someone else's
                shared = tenantsWaiting() > 1;
                int limit = shared ? settings.maxBatchSize() : settings.sortWindow();
                drainInto(interactive, window, now, limit);
                drainInto(background, window, now, limit);
            }
            return shared;
        } finally {
            lock.unlock();
        }
    }

    private long oldestEnqueued() {
        return Math.min(interactive.minOfHeads(item -> item.enqueued), background.minOfHeads(item -> item.enqueued));
    }

    /** Tenants with items queued (one with both priorities counts twice: a smaller window then does no harm). */
    private int tenantsWaiting() {
        return interactive.tenants() + background.tenants();
    }

    private void done(String tenant) {
        lock.lock();
        try {
            pendingByTenant.computeIfPresent(tenant, (t, count) -> count == 1 ? null : count - 1);
        } finally {
            lock.unlock();
        }
    }

    private void drainInto(TenantQueues<Item> queue, List<Item> window, long now, int limit) {
        while (window.size() < limit && !queue.isEmpty()) {
            Item item = queue.pollNextTurn();
            waiting--;
            if (item.result.isDone()) {
                continue; // the caller is gone (cancelled), nothing to compute
            }
            if (now > item.deadline) {
                rejectedDeadline.increment();
                item.result.completeExceptionally(new DeadlineExceededException());
                continue;
            }
            window.add(item);
        }
    }

    /**
     * End (exclusive) of the batch starting at from: item limit, padded-token budget, and (on length-sorted items)
     * padding ratio once the batch is big enough.
     */
    private int cut(List<Item> window, int from, boolean paddingCut) {
        int to = from;
        int longest = 0;
        long real = 0;
        while (to < window.size() && to - from < settings.maxBatchSize()) {
            int length = window.get(to).ids.length;
            int candidate = Math.max(longest, length);
            long padded = (long) candidate * (to - from + 1);
            if (to > from && padded > settings.maxBatchTokens()) {
                break;
            }
            if (paddingCut && to - from >= settings.paddingCutMinBatch()
                    && padded > settings.maxPaddingRatio() * (real + length)) {
                break;
            }
            longest = candidate;
            real += length;
            to++;
        }
        return to;
    }

    private boolean interactiveWaitsBehindBackground(List<Item> window, int from) {
        if (interactive.isEmpty()) {
            return false;
        }
        for (int i = from; i < window.size(); i++) {
            if (window.get(i).priority == Priority.BACKGROUND) {
                return true;
            }
        }
        return false;
    }

    /** An interactive tenant with nothing in the rest of the window is waiting: it should not wait for all of it. */
    private boolean aTenantWaitsOutside(List<Item> window, int from) {
        lock.lock();
        try {
            if (interactive.isEmpty()) {
                return false;
            }
            Set<String> inWindow = new HashSet<>();
            for (int i = from; i < window.size(); i++) {
                inWindow.add(window.get(i).tenant);
            }
            for (String tenant : interactive.tenantsWaiting()) {
                if (!inWindow.contains(tenant)) {
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void requeue(List<Item> rest) {
        lock.lock();
        try {
            for (int i = rest.size() - 1; i >= 0; i--) {
                Item item = rest.get(i);
                (item.priority == Priority.INTERACTIVE ? interactive : background).addFirst(item.tenant, item);
                waiting++;
            }
        } finally {
            lock.unlock();
        }
    }

    private void runBatch(BatchRunner runner, List<Item> batch) {
        long start = System.nanoTime();
        Instant startedAt = Instant.now();
        List<long[]> ids = new ArrayList<>(batch.size());
        int real = 0;
        int longest = 0;
        // the requests this batch serves, each with its items (one request's inputs can share a batch)
        Map<SpanContext, List<Item>> requests = new LinkedHashMap<>();
        for (Item item : batch) {
            queueTime.record(start - item.enqueued, TimeUnit.NANOSECONDS);
            ids.add(item.ids);
            real += item.ids.length;
            longest = Math.max(longest, item.ids.length);
            if (item.caller.isValid()) {
                requests.computeIfAbsent(item.caller, caller -> new ArrayList<>()).add(item);
            }
        }
        Span batchSpan = batchSpan(batch.size(), real, longest, startedAt, requests.keySet());
        try {
            float[][] vectors = runner.run(ids);
            inferenceTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            batchSize.record(batch.size());
            realTokens.record(real);
            paddedTokens.record((double) longest * batch.size());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result.complete(vectors[i]);
            }
        } catch (Throwable e) {
            LOG.errorf(e, "%s failed a batch of %d", name, batch.size());
            batchSpan.setStatus(StatusCode.ERROR, e.toString());
            batch.forEach(item -> item.result.completeExceptionally(e));
        } finally {
            batchSpan.end();
            requests.forEach((caller, items) -> requestSpan(caller, items, batchSpan, batch.size(), startedAt));
        }
    }

    /** One span per batch, linked to the span of every request it served (it is no single request's child). */
    private Span batchSpan(int size, int realTokens, int longest, Instant startedAt, Iterable<SpanContext> callers) {
        SpanBuilder builder = tracer.spanBuilder(name + " batch").setNoParent().setStartTimestamp(startedAt)
                .setAttribute("meridian.model", name)
                .setAttribute("meridian.batch.size", size)
                .setAttribute("meridian.batch.tokens", realTokens)
                .setAttribute("meridian.batch.padded_tokens", (long) longest * size);
        callers.forEach(builder::addLink);
        return builder.startSpan();
    }

    /** In the request's trace: from queueing its inputs to their vectors, with the wait and the batch it joined. */
    private void requestSpan(SpanContext caller, List<Item> items, Span batch, int batchSize, Instant startedAt) {
        Instant enqueuedAt = items.get(0).enqueuedAt;
        tracer.spanBuilder(name + " embed").setParent(Context.root().with(Span.wrap(caller)))
                .setStartTimestamp(enqueuedAt)
                .addLink(batch.getSpanContext())
                .setAttribute("meridian.model", name)
                .setAttribute("meridian.inputs", items.size())
                .setAttribute("meridian.batch.size", batchSize)
                .setAttribute("meridian.queue_ms", Duration.between(enqueuedAt, startedAt).toNanos() / 1e6)
                .startSpan()
                .end();
    }

    private void failAll(Throwable cause) {
        lock.lock();
        try {
            interactive.drainAll(item -> item.result.completeExceptionally(cause));
            background.drainAll(item -> item.result.completeExceptionally(cause));
            waiting = 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the batcher and waits (a few seconds at most) for its thread to finish the batch in hand and close the
     * model: a JVM that exits under a running ONNX session crashes in native code (seen when a start-up was stopped
     * during warm-up).
     */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Item {
        final long[] ids;
        final Priority priority;
        final String tenant;
        final long enqueued;
        final long deadline;
        /** The span of the request that queued the item (invalid when there is none) and when it did. */
        final SpanContext caller;
        final Instant enqueuedAt;
        final CompletableFuture<float[]> result = new CompletableFuture<>();

        Item(long[] ids, Priority priority, String tenant, long enqueued, long deadline, SpanContext caller,
             Instant enqueuedAt) {
            this.ids = ids;
            this.priority = priority;
            this.tenant = tenant;
            this.enqueued = enqueued;
            this.deadline = deadline;
            this.caller = caller;
            this.enqueuedAt = enqueuedAt;
        }
    }
}
