package dev.meridian.inference.model;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Waiting items of one priority, a queue per tenant, taken round robin: whoever has items waiting gets the next turn
 * after everyone else with items had one, so a tenant with thousands of inputs queued delays another's single input
 * by one item per turn, not by its whole backlog. Not thread-safe: the batcher holds its lock.
 */
final class TenantQueues<T> {

    /** Tenants with items, in turn order: the next turn goes to the first. */
    private final LinkedHashMap<String, ArrayDeque<T>> queues = new LinkedHashMap<>();
    private int size;

    void addLast(String tenant, T item) {
        queues.computeIfAbsent(tenant, t -> new ArrayDeque<>()).addLast(item);
        size++;
    }

    /** Puts an item taken too early back at the head of its tenant's queue (its turn is not taken again). */
    void addFirst(String tenant, T item) {
        queues.computeIfAbsent(tenant, t -> new ArrayDeque<>()).addFirst(item);
        size++;
    }

    /** The next tenant's oldest item, or null; that tenant's next turn comes after every other tenant's. */
    T pollNextTurn() {
        Iterator<Map.Entry<String, ArrayDeque<T>>> first = queues.entrySet().iterator();
        if (!first.hasNext()) {
            return null;
        }
        Map.Entry<String, ArrayDeque<T>> turn = first.next();
        T item = turn.getValue().pollFirst();
        first.remove();
        if (!turn.getValue().isEmpty()) {
            queues.put(turn.getKey(), turn.getValue());
        }
        size--;
        return item;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int tenants() {
        return queues.size();
    }

    Iterable<String> tenantsWaiting() {
        return queues.keySet();
    }

    /** The smallest value of {@code key} among each tenant's oldest item (Long.MAX_VALUE when empty). */
    long minOfHeads(ToLongFunction<T> key) {
        long min = Long.MAX_VALUE;
        for (ArrayDeque<T> queue : queues.values()) {
            min = Math.min(min, key.applyAsLong(queue.peekFirst()));
        }
        return min;
    }

    void drainAll(Consumer<T> action) {
        queues.values().forEach(queue -> queue.forEach(action));
        queues.clear();
        size = 0;
    }
}
