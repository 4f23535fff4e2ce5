package dev.meridian.inference.collection.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The vectors of one collection in memory, searched exactly: one contiguous float array scanned with a
 * four-accumulator dot product (unit vectors, so the dot product is the cosine). Exact search is both correct and fast
 * at the collection sizes the quotas allow (100,000 x 384 dimensions is about 40 M multiply-adds, a few milliseconds
 * per query), and needs no tuning. Thread-safe; searches and changes hold the same lock briefly.
 */
public final class CollectionIndex {

    public record Hit(String id, float score) {
    }

    public record Entry(String id, float[] vector, Map<String, Object> metadata) {
    }

    private final int dimensions;
    private int revision;
    private final Map<String, Integer> slots = new HashMap<>();
    private final List<String> ids = new ArrayList<>();
    private final List<Map<String, Object>> metadata = new ArrayList<>();
    private float[] vectors;

    public CollectionIndex(int dimensions, int revision, int capacity) {
        this.dimensions = dimensions;
        this.revision = revision;
        this.vectors = new float[Math.max(16, capacity) * dimensions];
    }

    /** The collection version this index reflects. */
    public synchronized int revision() {
        return revision;
    }

    /**
     * Applies one committed change that moved the collection from {@code expected} to {@code next}; false (and nothing
     * changed) when this index is not at {@code expected}, i.e. it missed a change and must be rebuilt.
     */
    public synchronized boolean advance(int expected, int next, List<Entry> puts, Collection<String> removals) {
        if (revision != expected) {
            return false;
        }
        puts.forEach(entry -> put(entry.id(), entry.vector(), entry.metadata()));
        removals.forEach(this::remove);
        revision = next;
        return true;
    }

    /** Roughly: the vectors plus an id and a map per entry. */
    public synchronized int memoryKb() {
        return (int) Math.min(Integer.MAX_VALUE, ((long) vectors.length * Float.BYTES + ids.size() * 256L) / 1024);
    }

    public synchronized int size() {
        return ids.size();
    }

    public synchronized void put(String id, float[] vector, Map<String, Object> meta) {
        if (vector.length != dimensions) {
            throw new IllegalArgumentException("vector has " + vector.length + " dimensions, index " + dimensions);
        }
        Integer slot = slots.get(id);
        if (slot == null) {
            slot = ids.size();
            if ((slot + 1) * dimensions > vectors.length) {
                vectors = Arrays.copyOf(vectors, vectors.length * 2);
            }
            slots.put(id, slot);
            ids.add(id);
            metadata.add(meta);
        } else {
            metadata.set(slot, meta);
        }
        System.arraycopy(vector, 0, vectors, slot * dimensions, dimensions);
    }

    /** The last entry moves into the freed slot, so the array stays dense. */
    public synchronized void remove(String id) {
        Integer slot = slots.remove(id);
        if (slot == null) {
            return;
        }
        int last = ids.size() - 1;
        if (slot != last) {
            String moved = ids.get(last);
            ids.set(slot, moved);
            metadata.set(slot, metadata.get(last));
            System.arraycopy(vectors, last * dimensions, vectors, slot * dimensions, dimensions);
            slots.put(moved, slot);
        }
        ids.remove(last);
        metadata.remove(last);
    }

    /** The k entries most similar to the query among those whose metadata matches the filter, best first. */
    public synchronized List<Hit> search(float[] query, int k, Map<String, Object> filter) {
        PriorityQueue<Hit> best = new PriorityQueue<>(k + 1, Comparator.comparingDouble(Hit::score));
        for (int slot = 0; slot < ids.size(); slot++) {
            if (!filter.isEmpty() && !matches(metadata.get(slot), filter)) {
                continue;
            }
            float score = dot(query, slot * dimensions);
            if (best.size() < k) {
                best.add(new Hit(ids.get(slot), score));
            } else if (score > best.peek().score()) {
                best.poll();
                best.add(new Hit(ids.get(slot), score));
            }
        }
        List<Hit> hits = new ArrayList<>(best);
        hits.sort(Comparator.comparingDouble(Hit::score).reversed());
        return hits;
    }

    /** Independent accumulators let the CPU overlap the multiply-adds (a single float sum is one long dependency chain). */
    private float dot(float[] query, int offset) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < dimensions; i += 4) {
            s0 += query[i] * vectors[offset + i];
            s1 += query[i + 1] * vectors[offset + i + 1];
            s2 += query[i + 2] * vectors[offset + i + 2];
            s3 += query[i + 3] * vectors[offset + i + 3];
        }
        for (; i < dimensions; i++) {
            s0 += query[i] * vectors[offset + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * Every filter key must match: equal scalars (numbers by value, so 1 matches 1.0), or, when the document's value
     * is an array, an array containing the filter value (tags).
     */
    static boolean matches(Map<String, Object> meta, Map<String, Object> filter) {
        if (meta == null) {
            return false;
        }
        for (Map.Entry<String, Object> condition : filter.entrySet()) {
            Object value = meta.get(condition.getKey());
            if (value instanceof Collection<?> values) {
                if (values.stream().noneMatch(v -> same(v, condition.getValue()))) {
                    return false;
                }
            } else if (!same(value, condition.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        return a != null && a.equals(b);
    }
}
