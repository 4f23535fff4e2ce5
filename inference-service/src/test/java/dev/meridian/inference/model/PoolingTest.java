package dev.meridian.inference.model;

import dev.meridian.inference.embedding.Vectors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PoolingTest {

    @Test
    void averagesOnlyTheTokensTheMaskKeepsThenScalesToUnitLength() {
        // batch 2, seqLen 3, dim 2; row 0 keeps tokens 0 and 1, row 1 keeps only token 0 (the rest is padding)
        float[] hidden = {
                1, 2, 3, 4, 100, 100,
                0, 5, 9, 9, 9, 9};
        long[] mask = {1, 1, 0, 1, 0, 0};

        float[][] pooled = Pooling.meanPoolNormalized(hidden, mask, 2, 3, 2);

        // row 0: mean (2, 3) -> / sqrt(13); row 1: (0, 5) -> (0, 1)
        double n = Math.sqrt(13);
        assertArrayEquals(new float[]{(float) (2 / n), (float) (3 / n)}, pooled[0], 1e-6f);
        assertArrayEquals(new float[]{0, 1}, pooled[1], 1e-6f);
    }

    @Test
    void clsPoolingTakesEachRowsFirstTokenWhateverThePaddingHolds() {
        float[] hidden = {
                3, 4, 100, 100, 7, 7,
                0, 2, 9, 9, 9, 9};
        long[] mask = {1, 1, 0, 1, 0, 0};

        float[][] pooled = Pooling.pool(Pooling.Mode.CLS, hidden, mask, 2, 3, 2);

        assertArrayEquals(new float[]{0.6f, 0.8f}, pooled[0], 1e-6f);
        assertArrayEquals(new float[]{0, 1}, pooled[1], 1e-6f);
    }

    @Test
    void aZeroVectorStaysZeroInsteadOfBecomingNaN() {
        float[] v = {0, 0, 0};
        Pooling.normalize(v);
        assertArrayEquals(new float[]{0, 0, 0}, v);
    }

    @Test
    void float32WireFormatIsLittleEndianAndRoundTrips() {
        float[] v = {1.0f, -0.5f, 3.25e-3f};
        byte[] bytes = Vectors.toBytes(v);
        // 1.0f = 0x3F800000, little-endian first byte 0x00, last 0x3F
        assertEquals(0x00, bytes[0]);
        assertEquals(0x3F, bytes[3]);
        assertArrayEquals(v, Vectors.fromBytes(bytes));
        assertEquals(1.0 + 0.25 + 3.25e-3 * 3.25e-3, Vectors.dot(v, v), 1e-6);
    }
}
