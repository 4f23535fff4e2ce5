package dev.meridian.inference.usage.service;

import dev.meridian.inference.usage.BillableCall;
import dev.meridian.inference.usage.UsageRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records each billable call once, before it is answered. A call the client or gateway named (Idempotency-Key or
 * X-Request-Id) is keyed by that id, its owner, endpoint and exact token ids: sent again (a retry after a lost answer,
 * the gateway trying another instance) it counts once, while the same id on different inputs cannot hide a call.
 */
@ApplicationScoped
public class UsageService {

    /** Tiers and models are both bounded sets from configuration: the metric's label set is bounded too. */
    private static final int MAX_SERIES = 256;
    /** Kept for finding a call in the logs; the request key, not this, decides what counts once. */
    private static final int MAX_REQUEST_ID = 128;

    private final UsageJournal journal;
    private final MeterRegistry meters;
    private final Map<String, Counter> tokenCounters = new ConcurrentHashMap<>();

    public UsageService(UsageJournal journal, MeterRegistry meters) {
        this.journal = journal;
        this.meters = meters;
    }

    /**
     * @param model the model as the response names it ({@code id:version})
     * @param ids   the token ids of every input, as the model saw them
     */
    public Uni<Void> record(BillableCall call, UUID owner, String tier, String model, List<long[]> ids,
                            long inputTokens) {
        String requestId = call.clientRequestId();
        UsageRecord record = new UsageRecord(requestKey(call, owner, ids),
                requestId == null || requestId.length() <= MAX_REQUEST_ID ? requestId
                        : requestId.substring(0, MAX_REQUEST_ID), owner,
                call.apiKeyId(), model, call.endpoint(), ids.size(), inputTokens, Instant.now());
        return journal.append(record).invoke(() -> count(model, tier, inputTokens));
    }

    private void count(String model, String tier, long tokens) {
        String key = model + "\n" + tier;
        Counter counter = tokenCounters.get(key);
        if (counter == null) {
            if (tokenCounters.size() >= MAX_SERIES) {
                key = "other\nother";
            }
            counter = tokenCounters.computeIfAbsent(key, k -> Counter.builder("meridian.inference.usage.tokens")
                    .description("prompt tokens of billable calls").baseUnit("tokens")
                    .tag("model", k.substring(0, k.indexOf('\n'))).tag("tier", k.substring(k.indexOf('\n') + 1))
                    .register(meters));
        }
        counter.increment(tokens);
    }

    static String requestKey(BillableCall call, UUID owner, List<long[]> ids) {
        if (call.clientRequestId() == null) {
            return UUID.randomUUID().toString();
        }
        MessageDigest digest = sha256();
        digest.update((owner + "\n" + call.endpoint() + "\n" + call.clientRequestId() + "\n")
                .getBytes(StandardCharsets.UTF_8));
        ByteBuffer buffer = ByteBuffer.allocate(8);
        for (long[] input : ids) {
            buffer.clear();
            digest.update(buffer.putLong(input.length).flip());
            for (long id : input) {
                buffer.clear();
                digest.update(buffer.putLong(id).flip());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
