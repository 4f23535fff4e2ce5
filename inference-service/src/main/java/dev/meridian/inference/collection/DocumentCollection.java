package dev.meridian.inference.collection;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import java.time.Instant;
import java.util.UUID;

/**
 * A user's named collection of documents, all embedded by one model version (vectors of different versions are not
 * comparable, so the version is fixed when the collection is created).
 */
@Entity
@Table(name = "collections")
public class DocumentCollection {

    @Id
    public UUID id;

    @Column(name = "user_id")
    public UUID userId;

    public String name;

    public String model;

    @Column(name = "model_version")
    public String modelVersion;

    public int dimensions;

    @Column(name = "document_count")
    public int documentCount;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "updated_at")
    public Instant updatedAt;

    /** Bumped by every change to the documents: the revision an in-memory index must match. */
    @Version
    public int version;

    public String qualifiedModel() {
        return model + ":" + modelVersion;
    }
}
