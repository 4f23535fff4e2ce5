package dev.meridian.inference.model;

import dev.meridian.inference.config.InferenceConfig.ModelConfig;

/** One served model version: its registry entry, its tokenizer and the batcher in front of its ONNX session. */
public record ModelVersion(ModelConfig config, ModelTokenizer tokenizer, MicroBatcher batcher) {

    /** What responses name: {@code id:version}. */
    public String qualifiedName() {
        return config.id() + ":" + config.version();
    }

    /** What the model was trained to see before a text of this type; empty for none (or no type given). */
    public String prompt(InputType type) {
        if (type == null) {
            return "";
        }
        return (type == InputType.QUERY ? config.queryPrompt() : config.documentPrompt()).orElse("");
    }
}
