package dev.meridian.inference.model;

import java.util.List;

/** Runs one padded batch through a model: token ids in, one vector per input out (same order). */
@FunctionalInterface
public interface BatchRunner {

    float[][] run(List<long[]> batch) throws Exception;
}
