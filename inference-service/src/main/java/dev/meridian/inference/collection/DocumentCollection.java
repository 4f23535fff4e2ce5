package dev.meridian.inference.collection;

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

    public UUID userId;

    public String name;

    public String model;

    public String modelVersion;

    public int dimensions;

    public int documentCount;

    public Instant createdAt;

    public Instant updatedAt;

    /** Bumped by every change to the documents: the revision an in-memory index must match. */
    @Version
    public int version;

    public String qualifiedModel() {
        return model + ":" + modelVersion;
    }
}
