package dev.meridian.events.inference;

import com.fasterxml.jackson.annotation.JsonProperty;

public enum JobType {
    @JsonProperty("embed_batch") EMBED_BATCH,
    @JsonProperty("index_documents") INDEX_DOCUMENTS
}
