package dev.meridian.inference.collection;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/** A document of a collection: the text as given, its metadata (JSON object) and its vector. */
@Entity
@Table(name = "documents")
@IdClass(Document.Key.class)
public class Document {

    public static class Key implements Serializable {
        public UUID collectionId;
        public String docId;

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && Objects.equals(collectionId, key.collectionId)
                    && Objects.equals(docId, key.docId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(collectionId, docId);
        }
    }

    @Id
    public UUID collectionId;

    @Id
    public String docId;

    public String text;

    /** JSON object text, or null. */
    public String metadata;

    /** float32 little-endian. */
    public byte[] embedding;

    public Instant updatedAt;
}
