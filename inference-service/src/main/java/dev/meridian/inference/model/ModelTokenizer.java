package dev.meridian.inference.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.inference.service.InferenceException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    /**
     * Every token of a text as the model sees it, without truncation: id, the text it covers (the special token's
     * own name for special tokens) and its character offsets in the text (null for special tokens).
     */
    public List<Piece> pieces(String text, boolean addSpecialTokens) {
        Encoding encoding = tokenizer.encode(text, addSpecialTokens, false);
        long[] ids = encoding.getIds();
        String[] names = encoding.getTokens();
        long[] special = encoding.getSpecialTokenMask();
        CharSpan[] spans = encoding.getCharTokenSpans();
        List<Piece> pieces = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            CharSpan span = i < spans.length ? spans[i] : null;
            if (special[i] == 1 || span == null) {
                pieces.add(new Piece(ids[i], names[i], special[i] == 1, null, null));
            } else {
                pieces.add(new Piece(ids[i], text.substring(span.getStart(), span.getEnd()), false, span.getStart(),
                        span.getEnd()));
            }
        }
        return pieces;
    }

    /** The text of token ids of this model's vocabulary; an id outside it is refused, naming {@code param}. */
    public String decode(long[] ids, boolean skipSpecialTokens, String param) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabularySize) {
                throw InferenceException.invalid(param + "[" + i + "]", "invalid_token_id",
                        "token id " + ids[i] + " is outside this model's vocabulary (0.." + (vocabularySize - 1) + ")");
            }
        }
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** One token: id, the text it stands for, whether it is a special token, its character offsets in the input. */
    public record Piece(long id, String text, boolean special, Integer start, Integer stop) {
    }

    /** Token ids as the model sees them, and whether they were cut to fit. */
    public record Tokens(long[] ids, boolean truncated) {
    }
}
