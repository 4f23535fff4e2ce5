import dev.meridian.inference.collection.service.CollectionIndex;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/**
 * Exact search in one collection index: query latency at growing sizes (384 dimensions, k = 10), and a side-by-side
 * naive scan (one double accumulator, as Vectors.dot does) over the same data to show what the four-accumulator loop
 * buys. Run by bench.sh; single-threaded, one JVM, same random vectors for both.
 */
public class SearchBench {

    static final int DIMS = 384;

    public static void main(String[] args) {
        Random random = new Random(42);
        for (int size : new int[]{1_000, 10_000, 100_000}) {
            CollectionIndex index = new CollectionIndex(DIMS, 1, size);
            float[][] vectors = new float[size][];
            for (int i = 0; i < size; i++) {
                vectors[i] = unit(random);
                index.put("doc-" + i, vectors[i], Map.of("n", i % 10));
            }
            float[][] queries = new float[200][];
            for (int i = 0; i < queries.length; i++) {
                queries[i] = unit(random);
            }
            int rounds = Math.max(20, 2_000_000 / size);
            measure(rounds, queries, q -> index.search(q, 10, Map.of())); // warm-up
            long[] indexed = measure(rounds, queries, q -> index.search(q, 10, Map.of()));
            long[] filtered = measure(rounds, queries, q -> index.search(q, 10, Map.of("n", 3)));
            measure(rounds, queries, q -> naive(vectors, q));
            long[] naive = measure(rounds, queries, q -> naive(vectors, q));
            System.out.printf("%,8d docs: index p50 %7.3f ms p99 %7.3f ms | filter(1/10) p50 %7.3f ms |"
                            + " naive scan p50 %7.3f ms | naive/index %.2f%n", size, ms(indexed, 50), ms(indexed, 99),
                    ms(filtered, 50), ms(naive, 50), ms(naive, 50) / ms(indexed, 50));
        }
    }

    interface Search {
        Object run(float[] query);
    }

    static long[] measure(int rounds, float[][] queries, Search search) {
        long[] nanos = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            long start = System.nanoTime();
            search.run(queries[r % queries.length]);
            nanos[r] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        return nanos;
    }

    static double ms(long[] sorted, int percentile) {
        return sorted[Math.min(sorted.length - 1, sorted.length * percentile / 100)] / 1e6;
    }

    static int naive(float[][] vectors, float[] query) {
        int best = -1;
        double bestScore = -2;
        for (int i = 0; i < vectors.length; i++) {
            double sum = 0;
            for (int j = 0; j < DIMS; j++) {
                sum += (double) query[j] * vectors[i][j];
            }
            if (sum > bestScore) {
                bestScore = sum;
                best = i;
            }
        }
        return best;
    }

    static float[] unit(Random random) {
        float[] v = new float[DIMS];
        double norm = 0;
        for (int i = 0; i < DIMS; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < DIMS; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }
}
