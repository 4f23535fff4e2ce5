package dev.meridian.inference.model;

/** Sentence-transformers pooling, scaled to unit length: mean of the kept token vectors, or the first ([CLS]) one. */
public final class Pooling {

    /** How a model was trained to pool. */
    public enum Mode {
        MEAN, CLS
    }

    private Pooling() {
    }

    /** @param hidden last_hidden_state, row-major [batch][seqLen][dim]; mask 1 for real tokens */
    public static float[][] pool(Mode mode, float[] hidden, long[] mask, int batch, int seqLen, int dim) {
        return mode == Mode.CLS ? clsNormalized(hidden, batch, seqLen, dim)
                : meanPoolNormalized(hidden, mask, batch, seqLen, dim);
    }

    /** The first token's vector of each row (the [CLS] token, never padding). */
    public static float[][] clsNormalized(float[] hidden, int batch, int seqLen, int dim) {
        float[][] out = new float[batch][dim];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(hidden, b * seqLen * dim, out[b], 0, dim);
            normalize(out[b]);
        }
        return out;
    }

    /**
     * @param hidden last_hidden_state, row-major [batch][seqLen][dim]
     * @param mask   attention mask, row-major [batch][seqLen], 1 for real tokens
     */
    public static float[][] meanPoolNormalized(float[] hidden, long[] mask, int batch, int seqLen, int dim) {
        float[][] out = new float[batch][dim];
        for (int b = 0; b < batch; b++) {
            float[] sum = out[b];
            int count = 0;
            for (int t = 0; t < seqLen; t++) {
                if (mask[b * seqLen + t] == 0) {
                    continue;
                }
                count++;
                int base = (b * seqLen + t) * dim;
                for (int d = 0; d < dim; d++) {
                    sum[d] += hidden[base + d];
                }
            }
            float scale = 1f / Math.max(count, 1);
            for (int d = 0; d < dim; d++) {
                sum[d] *= scale;
            }
            normalize(sum);
        }
        return out;
    }

    /** In place; a zero vector stays zero (no division by zero, as sentence-transformers clamps the norm). */
    public static void normalize(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        double scale = 1.0 / Math.max(Math.sqrt(norm), 1e-12);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] * scale);
        }
    }
}
