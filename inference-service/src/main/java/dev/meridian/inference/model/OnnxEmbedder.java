package dev.meridian.inference.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One ONNX Runtime session for one model version: pads a batch, runs the graph, pools each row into a vector. */
public final class OnnxEmbedder implements BatchRunner, AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final boolean wantsTokenTypes;
    private final int dimensions;
    private final Pooling.Mode pooling;

    /**
     * @param cpuArena keep ONNX Runtime's CPU arena: it holds on to the largest batch's tensors (hundreds of MB per
     *                 session after the warm-up at the longest shape) for a little less allocation per run
     */
    public OnnxEmbedder(String artifact, int dimensions, Pooling.Mode pooling, int intraOpThreads, boolean allowSpinning,
                        boolean cpuArena) {
        this.dimensions = dimensions;
        this.pooling = pooling;
        try (InputStream in = OnnxEmbedder.class.getClassLoader().getResourceAsStream(artifact);
             OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            if (in == null) {
                throw new IllegalStateException("model resource " + artifact + " is not on the classpath");
            }
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.addConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setCPUArenaAllocator(cpuArena);
            options.setMemoryPatternOptimization(cpuArena);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // from a file, not a byte[]: the model's bytes (90 MB for fp32) would grow the heap for good
            Path file = Files.createTempFile("meridian-model-", ".onnx");
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                session = env.createSession(file.toString(), options);
            } finally {
                Files.deleteIfExists(file);
            }
            wantsTokenTypes = session.getInputNames().contains("token_type_ids");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OrtException e) {
            throw new IllegalStateException("cannot load " + artifact + ": " + e.getMessage(), e);
        }
    }

    @Override
    public float[][] run(List<long[]> batch) throws OrtException {
        int rows = batch.size();
        int seqLen = 0;
        for (long[] ids : batch) {
            seqLen = Math.max(seqLen, ids.length);
        }
        long[] ids = new long[rows * seqLen];
        long[] mask = new long[rows * seqLen];
        for (int r = 0; r < rows; r++) {
            long[] row = batch.get(r);
            System.arraycopy(row, 0, ids, r * seqLen, row.length);
            Arrays.fill(mask, r * seqLen, r * seqLen + row.length, 1L);
        }
        long[] shape = {rows, seqLen};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (wantsTokenTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[rows * seqLen]), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
                float[] values = new float[hidden.remaining()];
                hidden.get(values);
                return Pooling.pool(pooling, values, mask, rows, seqLen, dimensions);
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
