package dev.meridian.inference.collection.service;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CollectionIndexTest {

    private static float[] unit(float... values) {
        double norm = 0;
        for (float v : values) {
            norm += v * v;
        }
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) (values[i] / Math.sqrt(norm));
        }
        return out;
    }

    private static List<String> ids(List<CollectionIndex.Hit> hits) {
        return hits.stream().map(CollectionIndex.Hit::id).toList();
    }

    @Test
    void topKIsExactAndOrderedBestFirst() {
        CollectionIndex index = new CollectionIndex(5, 1, 1); // grows past its initial capacity
        for (int i = 0; i < 100; i++) {
            index.put("d" + i, unit(1, i / 10f, 0, 0, 0.5f), Map.of());
        }
        index.put("exact", unit(1, 2, 3, 4, 5), Map.of());
        List<CollectionIndex.Hit> hits = index.search(unit(1, 2, 3, 4, 5), 3, Map.of());
        assertEquals("exact", hits.get(0).id());
        assertEquals(1.0, hits.get(0).score(), 1e-5);
        assertEquals(3, hits.size());
        assertTrue(hits.get(1).score() >= hits.get(2).score());
        // the brute-force answer for the runners-up: the d_i whose direction is closest
        double best = -1;
        String bestId = null;
        float[] q = unit(1, 2, 3, 4, 5);
        for (int i = 0; i < 100; i++) {
            float[] v = unit(1, i / 10f, 0, 0, 0.5f);
            double dot = 0;
            for (int j = 0; j < 5; j++) {
                dot += q[j] * v[j];
            }
            if (dot > best) {
                best = dot;
                bestId = "d" + i;
            }
        }
        assertEquals(bestId, hits.get(1).id());
    }

    @Test
    void replacingAndRemovingKeepTheRestSearchable() {
        CollectionIndex index = new CollectionIndex(2, 1, 4);
        index.put("a", unit(1, 0), Map.of());
        index.put("b", unit(0, 1), Map.of());
        index.put("c", unit(1, 1), Map.of());
        index.put("a", unit(-1, 0), Map.of()); // replaced, not added
        assertEquals(3, index.size());
        index.remove("a"); // the last entry moves into its slot
        index.remove("missing");
        assertEquals(List.of("c", "b"), ids(index.search(unit(1, 0.2f), 5, Map.of())));
    }

    @Test
    void filtersMatchScalarsByValueAndArraysByMembership() {
        Map<String, Object> meta = Map.of("lang", "en", "year", 2024, "tags", List.of("a", "b"));
        assertTrue(CollectionIndex.matches(meta, Map.of("lang", "en", "year", 2024.0)));
        assertTrue(CollectionIndex.matches(meta, Map.of("tags", "b")));
        assertFalse(CollectionIndex.matches(meta, Map.of("tags", "c")));
        assertFalse(CollectionIndex.matches(meta, Map.of("lang", "de")));
        assertFalse(CollectionIndex.matches(meta, Map.of("missing", "x")));
        assertFalse(CollectionIndex.matches(null, Map.of("lang", "en")));
    }

    @Test
    void aChangeAppliesOnlyToTheRevisionItFollows() {
        CollectionIndex index = new CollectionIndex(2, 3, 4);
        assertFalse(index.advance(2, 3, List.of(new CollectionIndex.Entry("x", unit(1, 0), null)), List.of()));
        assertEquals(0, index.size());
        assertTrue(index.advance(3, 4, List.of(new CollectionIndex.Entry("x", unit(1, 0), null)), List.of()));
        assertEquals(4, index.revision());
        assertEquals(List.of("x"), ids(index.search(unit(1, 0), 1, Map.of())));
    }
}
