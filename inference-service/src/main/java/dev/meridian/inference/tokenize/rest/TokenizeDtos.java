package dev.meridian.inference.tokenize.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/** Bodies of /v1/tokenize and /v1/detokenize, in text-embeddings-inference's shape (plus {@code model}). */
public final class TokenizeDtos {

    private TokenizeDtos() {
    }

    /** {@code inputs}: a string or an array of strings. */
    public record TokenizeRequest(String model, JsonNode inputs,
                                  @JsonProperty("add_special_tokens") Boolean addSpecialTokens) {
    }

    /** {@code ids}: an array of token ids or an array of such arrays. */
    public record DetokenizeRequest(String model, JsonNode ids,
                                    @JsonProperty("skip_special_tokens") Boolean skipSpecialTokens) {
    }

    /** One token as TEI shows it: {@code start}/{@code stop} are character offsets, null for special tokens. */
    public record Token(long id, String text, boolean special, Integer start, Integer stop) {
    }
}
