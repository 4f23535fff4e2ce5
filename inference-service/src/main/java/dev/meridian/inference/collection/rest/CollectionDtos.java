package dev.meridian.inference.collection.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.meridian.inference.collection.DocumentCollection;
import dev.meridian.inference.collection.service.CollectionService;
import dev.meridian.inference.collection.service.DocumentInput;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Bodies of /v1/collections. */
public final class CollectionDtos {

    private CollectionDtos() {
    }

    public record CreateCollection(String name, String model) {
    }

    public record CollectionView(String object, String name, String model, int dimensions,
                                 @JsonProperty("document_count") int documentCount,
                                 @JsonProperty("created_at") Instant createdAt,
                                 @JsonProperty("updated_at") Instant updatedAt) {

        static CollectionView of(DocumentCollection collection) {
            return new CollectionView("collection", collection.name, collection.qualifiedModel(),
                    collection.dimensions, collection.documentCount, collection.createdAt, collection.updatedAt);
        }
    }

    public record CollectionList(String object, List<CollectionView> data) {
    }

    public record PutDocuments(List<DocumentInput> documents, Boolean truncate) {
    }

    /** The ids stored (generated ones included), in request order. */
    public record DocumentsStored(String object, String collection, List<String> ids,
                                  @JsonProperty("document_count") int documentCount) {
    }

    public record SearchRequest(String query, Integer k, Map<String, Object> filter) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SearchMatch(String object, String id, float score, String text, Map<String, Object> metadata) {

        static SearchMatch of(CollectionService.SearchHit hit) {
            return new SearchMatch("search_result", hit.id(), hit.score(), hit.text(), hit.metadata());
        }
    }

    public record SearchResponse(String object, String collection, String model, List<SearchMatch> data) {
    }
}
