package dev.meridian.inference.embedding.service;

import dev.meridian.deadline.CallerContext;
import dev.meridian.inference.budget.rest.TokenBudgetHeaders;
import dev.meridian.inference.budget.service.TokenBudgetService;
import dev.meridian.inference.model.MicroBatcher;
import dev.meridian.inference.model.MicroBatcher.Priority;
import dev.meridian.inference.model.ModelTokenizer;
import dev.meridian.inference.model.ModelVersion;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.usage.BillableCall;
import dev.meridian.inference.usage.service.UsageService;
import io.opentelemetry.api.trace.Span;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Turns inputs into vectors: tokenize, look every input up in the cache Redis, join an identical computation that is
 * already running (single flight, across requests), and send only the rest to the model's micro-batcher.
 */
@ApplicationScoped
public class EmbeddingService {

    /** Above this many characters, tokenizing moves off the event loop. */
    private static final int INLINE_TOKENIZE_CHARS = 16 * 1024;

    private final EmbeddingCache cache;
    private final TokenBudgetService budgets;
    private final UsageService usage;
    private final GenAiTelemetry telemetry;
    private final Map<String, Flight> inFlight = new ConcurrentHashMap<>();

    public EmbeddingService(EmbeddingCache cache, TokenBudgetService budgets, UsageService usage,
                            GenAiTelemetry telemetry) {
        this.cache = cache;
        this.budgets = budgets;
        this.usage = usage;
        this.telemetry = telemetry;
    }

    /** One input: text, or token ids in the model's vocabulary. */
    public record Input(String text, long[] tokenIds) {
        int size() {
            return text != null ? text.length() : tokenIds.length;
        }
    }

    /** Vectors in input order; prompt tokens counted as the model saw them; which inputs were cut to fit. */
    public record Embeddings(ModelVersion model, List<float[]> vectors, int promptTokens, List<Integer> truncated) {
    }

    /**
     * @param paramName the request field each input came from (named in errors), by input position
     * @param owner     the user the inputs belong to: their cache entries are recorded so that erasing the user
     *                  removes them, and the call is billed to them
     * @param tier      the owner's tier, whose token budget the request is charged to before the model runs (exactly
     *                  its prompt tokens; given back if it then fails)
     * @param call      how the call is recorded in usage, once, before the vectors are returned
     */
    public Uni<Embeddings> embed(ModelVersion model, List<Input> inputs, boolean truncate, IntFunction<String> paramName,
                                 Priority priority, String owner, String tier, BillableCall call) {
        try {
            model.batcher().checkRoom(tenant(owner), inputs.size());
        } catch (MicroBatcher.QueueFullException e) {
            return Uni.createFrom().failure(translate(e));
        }
        long start = System.nanoTime();
        Span span = telemetry.started(model);
        Executor back = CallerContext.current();
        long chars = inputs.stream().mapToLong(Input::size).sum();
        Uni<List<ModelTokenizer.Tokens>> tokens = Uni.createFrom().item(() -> tokenize(model, inputs, truncate, paramName));
        if (chars > INLINE_TOKENIZE_CHARS) {
            tokens = tokens.runSubscriptionOn(Infrastructure.getDefaultWorkerPool()).emitOn(back);
        }
        return tokens.flatMap(tokenized -> {
            int promptTokens = tokenized.stream().mapToInt(t -> t.ids().length).sum();
            Uni<TokenBudgetService.Charge> charge = budgets.charge(owner, tier, promptTokens)
                    .invoke(TokenBudgetHeaders::remember);
            return charge.flatMap(charged -> vectors(model, tokenized, priority, owner, back)
                    .call(() -> usage.record(call, UUID.fromString(owner), tier, model.qualifiedName(),
                            tokenized.stream().map(ModelTokenizer.Tokens::ids).toList(), promptTokens))
                    .onFailure().call(() -> charged == null ? Uni.createFrom().voidItem()
                            : budgets.refund(owner, tier, promptTokens))
                    .map(vectors -> {
                        List<Integer> truncated = new ArrayList<>();
                        for (int i = 0; i < tokenized.size(); i++) {
                            if (tokenized.get(i).truncated()) {
                                truncated.add(i);
                            }
                        }
                        telemetry.finished(span, model, promptTokens, start);
                        return new Embeddings(model, vectors, promptTokens, truncated);
                    }));
        });
    }

    private static List<ModelTokenizer.Tokens> tokenize(ModelVersion model, List<Input> inputs, boolean truncate,
                                                        IntFunction<String> paramName) {
        List<ModelTokenizer.Tokens> tokens = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            Input input = inputs.get(i);
            String name = paramName.apply(i);
            tokens.add(input.text() != null
                    ? model.tokenizer().encode(input.text(), truncate, name)
                    : model.tokenizer().fromIds(input.tokenIds(), truncate, name));
        }
        return tokens;
    }

    private Uni<List<float[]>> vectors(ModelVersion model, List<ModelTokenizer.Tokens> tokens, Priority priority,
                                       String owner, Executor back) {
        // Identical inputs within one request are computed once too.
        Map<String, long[]> unique = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(tokens.size());
        for (ModelTokenizer.Tokens t : tokens) {
            String key = EmbeddingCache.key(model, t.ids());
            keys.add(key);
            unique.putIfAbsent(key, t.ids());
        }
        List<String> uniqueKeys = new ArrayList<>(unique.keySet());
        return Uni.combine().all().unis(cache.getAll(model, uniqueKeys), cache.remember(owner, uniqueKeys))
                .with((hits, ignored) -> hits).flatMap(hits -> {
            Map<String, float[]> found = new HashMap<>(hits);
            Map<String, Flight> joined = new HashMap<>();
            Map<String, Flight> owned = new LinkedHashMap<>();
            unique.forEach((key, ids) -> {
                if (found.containsKey(key)) {
                    return;
                }
                Flight mine = new Flight(ids);
                Flight running = inFlight.putIfAbsent(key, mine);
                if (running == null) {
                    owned.put(key, mine);
                } else {
                    running.waiters.incrementAndGet();
                    joined.put(key, running);
                }
            });
            if (!owned.isEmpty()) {
                start(model, owned, priority, owner);
            }
            if (owned.isEmpty() && joined.isEmpty()) {
                return Uni.createFrom().item(inOrder(keys, found));
            }
            Map<String, Flight> waiting = new HashMap<>(joined);
            waiting.putAll(owned);
            CompletableFuture<?> all = CompletableFuture.allOf(
                    waiting.values().stream().map(f -> f.result).toArray(CompletableFuture[]::new));
            return Uni.createFrom().completionStage(all)
                    .emitOn(back)
                    .onFailure(CompletionException.class).transform(Throwable::getCause)
                    .onFailure().transform(EmbeddingService::translate)
                    .onCancellation().invoke(() -> waiting.values().forEach(Flight::leave))
                    .flatMap(ignored -> {
                        Map<String, float[]> computed = new HashMap<>();
                        waiting.forEach((key, flight) -> found.put(key, flight.result.join()));
                        owned.forEach((key, flight) -> computed.put(key, flight.result.join()));
                        return cache.putAll(computed).replaceWith(() -> inOrder(keys, found));
                    });
        });
    }

    /** @param owner whose share of the model the inputs take (an identical input already running is shared) */
    private void start(ModelVersion model, Map<String, Flight> owned, Priority priority, String owner) {
        List<Flight> flights = new ArrayList<>(owned.values());
        List<CompletableFuture<float[]>> futures;
        try {
            futures = model.batcher().submit(flights.stream().map(f -> f.ids).toList(), priority, tenant(owner));
        } catch (RuntimeException e) {
            owned.forEach((key, flight) -> {
                inFlight.remove(key, flight);
                flight.result.completeExceptionally(e);
            });
            return;
        }
        int i = 0;
        for (Map.Entry<String, Flight> entry : owned.entrySet()) {
            Flight flight = entry.getValue();
            flight.work = futures.get(i++);
            flight.work.whenComplete((vector, error) -> {
                inFlight.remove(entry.getKey(), flight);
                if (error != null) {
                    flight.result.completeExceptionally(error);
                } else {
                    flight.result.complete(vector);
                }
            });
        }
    }

    private static String tenant(String owner) {
        return owner == null ? "anonymous" : owner;
    }

    private static List<float[]> inOrder(List<String> keys, Map<String, float[]> vectors) {
        List<float[]> out = new ArrayList<>(keys.size());
        for (String key : keys) {
            out.add(vectors.get(key));
        }
        return out;
    }

    private static Throwable translate(Throwable e) {
        if (e instanceof InferenceException) {
            return e;
        }
        if (e instanceof MicroBatcher.QueueFullException) {
            return InferenceException.overloaded(e.getMessage());
        }
        if (e instanceof MicroBatcher.DeadlineExceededException) {
            return InferenceException.unavailable("timeout", e.getMessage());
        }
        if (e instanceof IllegalStateException || e instanceof CancellationException) {
            return InferenceException.unavailable("model_unavailable", e.getMessage());
        }
        return e;
    }

    /**
     * One computation of one input that any number of requests wait for. The model work is cancelled only when the
     * last waiting request has gone (client disconnect), so one impatient client cannot fail the others.
     */
    private static final class Flight {
        final long[] ids;
        final CompletableFuture<float[]> result = new CompletableFuture<>();
        /** Starts at one: the request that created it. */
        final AtomicInteger waiters = new AtomicInteger(1);
        volatile CompletableFuture<float[]> work;

        Flight(long[] ids) {
            this.ids = ids;
        }

        void leave() {
            if (waiters.decrementAndGet() == 0 && work != null) {
                work.cancel(false);
            }
        }
    }
}
