package dev.meridian.inference.model;

import dev.meridian.inference.config.InferenceConfig.ModelConfig;

/** One served model version: its registry entry, its tokenizer and the batcher in front of its ONNX session. */
public record ModelVersion(ModelConfig config, ModelTokenizer tokenizer, MicroBatcher batcher) {

    /** What responses name: {@code id:version}. */
    public String qualifiedName() {
        return config.id() + ":" + config.version();
    }
}
