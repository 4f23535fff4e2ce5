package dev.meridian.inference.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.inference.service.InferenceException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;

/**
 * The model's own tokenizer.json, with its built-in truncation switched off: the bundled MiniLM tokenizer would cut
 * every input at 128 tokens without saying so. We count every token and decide ourselves (reject or truncate).
 */
public final class ModelTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final int maxTokens;
    private final long clsId;
    private final long sepId;
    private final int vocabularySize;

    public ModelTokenizer(String resource, int maxTokens) {
        try (InputStream in = ModelTokenizer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("tokenizer resource " + resource + " is not on the classpath");
            }
            byte[] json = in.readAllBytes();
            tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json),
                    Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"));
            vocabularySize = new ObjectMapper().readTree(json).path("model").path("vocab").size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.maxTokens = maxTokens;
        long[] empty = tokenizer.encode("").getIds();
        clsId = empty[0];
        sepId = empty[empty.length - 1];
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** Tokens of one text, with the model's special tokens around them. */
    public Tokens encode(String text, boolean truncate, String param) {
        Encoding encoding = tokenizer.encode(text);
        return limit(encoding.getIds(), truncate, param);
    }

    /**
     * Token ids a client already has (OpenAI's int[] input), in this model's vocabulary. Special tokens are added
     * here, as for text.
     */
    public Tokens fromIds(long[] ids, boolean truncate, String param) {
        long[] framed = new long[ids.length + 2];
        framed[0] = clsId;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabularySize) {
                throw InferenceException.invalid(param + "[" + i + "]", "invalid_token_id",
                        "token id " + ids[i] + " is outside this model's vocabulary (0.." + (vocabularySize - 1) + ")");
            }
            framed[i + 1] = ids[i];
        }
        framed[framed.length - 1] = sepId;
        return limit(framed, truncate, param);
    }

    private Tokens limit(long[] ids, boolean truncate, String param) {
        if (ids.length <= maxTokens) {
            return new Tokens(ids, false);
        }
        if (!truncate) {
            throw InferenceException.invalid(param, "context_length_exceeded",
                    param + " has " + ids.length + " tokens; this model takes at most " + maxTokens
                            + " (special tokens included). Shorten it or send \"truncate\": true");
        }
        long[] cut = Arrays.copyOf(ids, maxTokens);
        cut[maxTokens - 1] = sepId;
        return new Tokens(cut, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** Token ids as the model sees them, and whether they were cut to fit. */
    public record Tokens(long[] ids, boolean truncated) {
    }
}
