package dev.meridian.inference.collection.service;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.meridian.inference.collection.DocumentCollection;
import dev.meridian.inference.collection.repository.DocumentRepository;
import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.embedding.Vectors;
import dev.meridian.inference.service.DatabaseDeadline;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The search indexes of this instance, one per collection, built from PostgreSQL on first use and kept current by
 * this instance's writes. A search first reads the collection row; an index older than the row's version (another
 * instance wrote) is rebuilt, so every instance answers from what PostgreSQL holds. Bounded by memory, least recently
 * used first, and dropped when idle.
 */
@ApplicationScoped
public class CollectionIndexes {

    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    private final DatabaseDeadline database;
    private final Cache<UUID, CollectionIndex> indexes;
    private final DocumentRepository documents;
    private final ObjectMapper json;

    public CollectionIndexes(DocumentRepository documents, ObjectMapper json, InferenceConfig config,
                             DatabaseDeadline database) {
        this.documents = documents;
        this.json = json;
        this.database = database;
        this.indexes = Caffeine.newBuilder()
                .maximumWeight(config.collections().indexMemoryMb() * 1024L)
                .<UUID, CollectionIndex>weigher((id, index) -> index.memoryKb())
                .expireAfterAccess(config.collections().indexIdle())
                .build();
    }

    /** The collection's index at (at least) the version just read. */
    public Uni<CollectionIndex> current(DocumentCollection collection) {
        CollectionIndex cached = indexes.getIfPresent(collection.id);
        if (cached != null && cached.revision() >= collection.version) {
            return Uni.createFrom().item(cached);
        }
        return database.session(() -> documents.snapshot(collection.id)).map(rows -> {
            // The rows and the version come from one statement; no rows means empty at (or after) the version read.
            int revision = rows.isEmpty() ? collection.version : rows.get(0).collectionVersion();
            CollectionIndex built = new CollectionIndex(collection.dimensions, revision, rows.size());
            rows.forEach(row -> built.put(row.docId(), Vectors.fromBytes(row.embedding()), metadata(row.metadata())));
            return indexes.asMap().merge(collection.id, built,
                    (old, fresh) -> old.revision() >= fresh.revision() ? old : fresh);
        });
    }

    /** After this instance committed a change from version {@code from} to {@code to}. */
    public void changed(UUID collectionId, int from, int to, List<CollectionIndex.Entry> puts,
                        Collection<String> removals) {
        CollectionIndex cached = indexes.getIfPresent(collectionId);
        if (cached == null) {
            return;
        }
        if (cached.advance(from, to, puts, removals)) {
            indexes.asMap().replace(collectionId, cached, cached); // weighed again: it may have grown
        } else {
            indexes.asMap().remove(collectionId, cached);
        }
    }

    public void drop(UUID collectionId) {
        indexes.invalidate(collectionId);
    }

    public void dropAll(Collection<UUID> collectionIds) {
        indexes.invalidateAll(collectionIds);
    }

    Map<String, Object> metadata(String text) {
        try {
            return text == null ? null : json.readValue(text, OBJECT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
