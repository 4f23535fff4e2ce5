package dev.meridian.inference.tokenize.service;

import dev.meridian.deadline.CallerContext;
import dev.meridian.inference.model.ModelTokenizer;
import dev.meridian.inference.model.ModelVersion;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokenizing and decoding with a model's own tokenizer, as the embeddings endpoint counts tokens (so a client can
 * count before it sends). Neither runs the model nor is billed. Off the event loop: a request may carry a megabyte.
 */
@ApplicationScoped
public class TokenizeService {

    public Uni<List<List<ModelTokenizer.Piece>>> tokenize(ModelVersion model, List<String> texts,
                                                          boolean addSpecialTokens) {
        return CallerContext.onWorker(() -> {
            List<List<ModelTokenizer.Piece>> out = new ArrayList<>(texts.size());
            for (String text : texts) {
                out.add(model.tokenizer().pieces(text, addSpecialTokens));
            }
            return out;
        });
    }

    /** @param params the request field of each id list, named in errors */
    public Uni<List<String>> decode(ModelVersion model, List<long[]> ids, List<String> params, boolean skipSpecial) {
        return CallerContext.onWorker(() -> {
            List<String> out = new ArrayList<>(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                out.add(model.tokenizer().decode(ids.get(i), skipSpecial, params.get(i)));
            }
            return out;
        });
    }
}
