package dev.meridian.inference.embedding;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Unit-vector arithmetic and the float32 little-endian wire form (OpenAI's base64 and our cache use it). */
public final class Vectors {

    private Vectors() {
    }

    /** Cosine similarity of two unit vectors is their dot product. */
    public static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) a[i] * b[i];
        }
        return sum;
    }

    public static byte[] toBytes(float[] vector) {
        ByteBuffer buffer = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(vector);
        return buffer.array();
    }

    public static float[] fromBytes(byte[] bytes) {
        float[] vector = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
        return vector;
    }
}
