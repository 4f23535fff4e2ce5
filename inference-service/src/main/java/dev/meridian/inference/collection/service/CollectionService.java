package dev.meridian.inference.collection.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.deadline.CallerContext;
import dev.meridian.inference.collection.Document;
import dev.meridian.inference.collection.DocumentCollection;
import dev.meridian.inference.collection.repository.CollectionRepository;
import dev.meridian.inference.collection.repository.DocumentRepository;
import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.embedding.Vectors;
import dev.meridian.inference.embedding.service.EmbeddingService;
import dev.meridian.inference.job.service.JobService;
import dev.meridian.inference.model.InputType;
import dev.meridian.inference.model.MicroBatcher.Priority;
import dev.meridian.inference.model.ModelRegistry;
import dev.meridian.inference.model.ModelVersion;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.DatabaseDeadline;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.usage.BillableCall;
import dev.meridian.inference.user.service.QuotaService;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.exception.ConstraintViolationException;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * Users' semantic collections: documents embedded with the collection's model version, stored in PostgreSQL and
 * searched through {@link CollectionIndexes}. Callers pass the owner whose collections they address.
 */
@ApplicationScoped
public class CollectionService {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final int MAX_ID_LENGTH = 128;
    /** Larger scans (floats) leave the event loop. */
    private static final long SCAN_INLINE_FLOATS = 1L << 20;

    public record SearchHit(String id, float score, String text, Map<String, Object> metadata) {
    }

    public record SearchResult(DocumentCollection collection, List<SearchHit> hits) {
    }

    /** A committed change and the version it started from. */
    private record Change(DocumentCollection collection, int from) {
    }

    private final DatabaseDeadline database;
    private final CollectionRepository collections;
    private final DocumentRepository documents;
    private final CollectionIndexes indexes;
    private final ModelRegistry models;
    private final EmbeddingService embeddings;
    private final QuotaService quotas;
    private final InferenceConfig config;
    private final ObjectMapper json;

    public CollectionService(CollectionRepository collections, DocumentRepository documents, CollectionIndexes indexes,
                             ModelRegistry models, EmbeddingService embeddings, QuotaService quotas,
                             InferenceConfig config, ObjectMapper json, DatabaseDeadline database) {
        this.collections = collections;
        this.documents = documents;
        this.indexes = indexes;
        this.models = models;
        this.embeddings = embeddings;
        this.quotas = quotas;
        this.config = config;
        this.json = json;
        this.database = database;
    }

    public Uni<DocumentCollection> create(Caller caller, UUID owner, String name, String model) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw InferenceException.invalid("name", "invalid_name", "'name' must be 1-64 letters, digits, '_', '-' or"
                    + " '.', starting with a letter or digit");
        }
        ModelVersion version = models.resolve(model, owner.toString()); // pinned: the A/B split is decided once
        DocumentCollection collection = new DocumentCollection();
        collection.id = UUID.randomUUID();
        collection.userId = owner;
        collection.name = name;
        collection.model = version.config().id();
        collection.modelVersion = version.config().version();
        collection.dimensions = version.config().dimensions();
        collection.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        collection.updatedAt = collection.createdAt;
        // the lock on the owner (until commit) makes count-then-insert atomic against their concurrent creates
        return database.transaction(() -> quotas.ofLocked(owner, tierClaim(caller, owner))
                .flatMap(limits -> collections.countOf(owner).flatMap(count -> {
                    if (count >= limits.quota().maxCollections()) {
                        throw new InferenceException(409, "invalid_request_error", "quota_exceeded", null, "the "
                                + limits.tier() + " tier allows " + limits.quota().maxCollections() + " collections",
                                null);
                    }
                    return collections.findByName(owner, name);
                }))
                .flatMap(existing -> {
                    if (existing != null) {
                        throw exists(name);
                    }
                    return collections.persist(collection);
                }))
                .onFailure(ConstraintViolationException.class).transform(e -> exists(name)); // a concurrent create
    }

    public Uni<DocumentCollection> get(UUID owner, String name) {
        return database.session(() -> collections.findByName(owner, name)).map(found -> visible(found, name));
    }

    public Uni<List<DocumentCollection>> list(UUID owner) {
        return database.session(() -> collections.listOf(owner));
    }

    /** The collection and its documents go (the database cascades). */
    public Uni<Void> delete(UUID owner, String name) {
        return database.transaction(() -> collections.findByName(owner, name)
                        .flatMap(found -> collections.delete(visible(found, name)).replaceWith(found)))
                .invoke(deleted -> indexes.drop(deleted.id))
                .replaceWithVoid();
    }

    /** Embeds and stores (inserts or replaces by id) documents already checked by {@link #validated}. */
    public Uni<DocumentCollection> put(Caller caller, UUID owner, String name, List<DocumentInput> docs,
                                      boolean truncate, BillableCall call) {
        return get(owner, name).flatMap(collection -> budgetTier(caller, owner)
                .flatMap(tier -> embed(collection, docs, InputType.DOCUMENT, truncate, Priority.INTERACTIVE,
                        i -> "documents[" + i + "].text", tier, call))
                .flatMap(vectors -> store(owner, tierClaim(caller, owner), collection.id, docs, vectors)));
    }

    /**
     * Whose budget collection work is charged to: always the collection's owner (an admin writing into someone's
     * collection spends that user's tokens), at the caller's tier when that is the owner, else the owner's.
     */
    private Uni<String> budgetTier(Caller caller, UUID owner) {
        return owner.equals(caller.userId()) ? Uni.createFrom().item(caller.tier())
                : database.session(() -> quotas.tier(owner, null));
    }

    /**
     * Embeds documents for a collection, in order; errors name the field through {@code param}. The tokens are charged
     * to the owner's budget at {@code tier} before the model runs.
     */
    private Uni<List<float[]>> embed(DocumentCollection collection, List<DocumentInput> docs, InputType type,
                                     boolean truncate, Priority priority, IntFunction<String> param, String tier,
                                     BillableCall call) {
        String owner = collection.userId.toString();
        ModelVersion model = models.resolve(collection.qualifiedModel());
        // a retrieval model's documents and queries each get the prompt it was trained with
        String prompt = model.prompt(type);
        List<EmbeddingService.Input> inputs = docs.stream()
                .map(doc -> new EmbeddingService.Input(prompt + doc.text(), null)).toList();
        return embeddings.embed(model, inputs, truncate, param, priority, owner, tier, call)
                .map(EmbeddingService.Embeddings::vectors);
    }

    /**
     * Stores embedded documents in one transaction that also moves the collection's version (concurrent writers to
     * one collection retry), then brings this instance's index along.
     */
    public Uni<DocumentCollection> store(UUID owner, String tierClaim, UUID collectionId, List<DocumentInput> docs,
                                        List<float[]> vectors) {
        List<String> ids = docs.stream().map(DocumentInput::id).toList();
        return database.transaction(() -> collections.findById(collectionId).flatMap(collection -> {
                    if (collection == null) {
                        throw notFound(collectionId.toString());
                    }
                    int from = collection.version;
                    return quotas.of(owner, tierClaim).flatMap(limits -> documents.findAll(collectionId, ids)
                            .flatMap(existing -> {
                                int added = docs.size() - existing.size();
                                int limit = limits.quota().maxCollectionDocuments();
                                if (collection.documentCount + added > limit) {
                                    throw new InferenceException(409, "invalid_request_error", "collection_full",
                                            "documents", "collection '" + collection.name + "' has "
                                            + collection.documentCount + " documents; " + added + " more would exceed"
                                            + " the " + limits.tier() + " tier's " + limit, null);
                                }
                                Map<String, Document> byId = byDocId(existing);
                                Instant now = Instant.now();
                                List<Document> fresh = new ArrayList<>();
                                for (int i = 0; i < docs.size(); i++) {
                                    Document doc = byId.get(docs.get(i).id());
                                    if (doc == null) {
                                        doc = new Document();
                                        doc.collectionId = collectionId;
                                        doc.docId = docs.get(i).id();
                                        fresh.add(doc);
                                    }
                                    doc.text = docs.get(i).text();
                                    doc.metadata = write(docs.get(i).metadata());
                                    doc.embedding = Vectors.toBytes(vectors.get(i));
                                    doc.updatedAt = now;
                                }
                                collection.documentCount += added;
                                collection.updatedAt = now;
                                Change change = new Change(collection, from);
                                return fresh.isEmpty() ? Uni.createFrom().item(change)
                                        : documents.persist(fresh).replaceWith(change);
                            }));
                }))
                .onFailure(JobService::concurrentChange).retry().atMost(5)
                .map(change -> {
                    List<CollectionIndex.Entry> entries = new ArrayList<>(docs.size());
                    for (int i = 0; i < docs.size(); i++) {
                        entries.add(new CollectionIndex.Entry(docs.get(i).id(), vectors.get(i), docs.get(i).metadata()));
                    }
                    indexes.changed(collectionId, change.from(), change.collection().version, entries, List.of());
                    return change.collection();
                });
    }

    public Uni<DocumentCollection> deleteDocument(UUID owner, String name, String docId) {
        return database.transaction(() -> collections.findByName(owner, name).flatMap(found -> {
                    DocumentCollection collection = visible(found, name);
                    int from = collection.version;
                    return documents.deleteOne(collection.id, docId).map(deleted -> {
                        if (deleted == 0) {
                            throw new InferenceException(404, "invalid_request_error", "document_not_found", null,
                                    "collection '" + name + "' has no document '" + docId + "'", null);
                        }
                        collection.documentCount--;
                        collection.updatedAt = Instant.now();
                        return new Change(collection, from);
                    });
                }))
                .onFailure(JobService::concurrentChange).retry().atMost(5)
                .map(change -> {
                    indexes.changed(change.collection().id, change.from(), change.collection().version, List.of(),
                            List.of(docId));
                    return change.collection();
                });
    }

    public Uni<SearchResult> search(Caller caller, UUID owner, String name, String query, int k,
                                    Map<String, Object> filter, BillableCall call) {
        Executor back = CallerContext.current();
        return get(owner, name).flatMap(collection -> budgetTier(caller, owner).flatMap(tier -> embed(collection,
                        List.of(new DocumentInput(null, query, null)), InputType.QUERY, false, Priority.INTERACTIVE,
                        i -> "query", tier, call))
                .flatMap(vectors -> indexes.current(collection).flatMap(index -> {
                    Uni<List<CollectionIndex.Hit>> scan = Uni.createFrom()
                            .item(() -> index.search(vectors.get(0), k, filter));
                    if ((long) index.size() * collection.dimensions > SCAN_INLINE_FLOATS) {
                        scan = scan.runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                                .emitOn(back);
                    }
                    return scan;
                }))
                .flatMap(hits -> hits.isEmpty() ? Uni.createFrom().item(List.<SearchHit>of())
                        : database.session(() -> documents.findAll(collection.id,
                                hits.stream().map(CollectionIndex.Hit::id).toList())).map(found -> {
                            Map<String, Document> byId = byDocId(found);
                            List<SearchHit> result = new ArrayList<>(hits.size());
                            for (CollectionIndex.Hit hit : hits) {
                                Document doc = byId.get(hit.id());
                                if (doc != null) { // deleted since the scan
                                    result.add(new SearchHit(hit.id(), hit.score(), doc.text,
                                            indexes.metadata(doc.metadata)));
                                }
                            }
                            return result;
                        }))
                .map(hits -> new SearchResult(collection, hits)));
    }

    /** Inside the caller's transaction: every collection of the user and their documents. */
    public Uni<Long> eraseAllOf(UUID user) {
        return collections.listOf(user).flatMap(owned -> {
            indexes.dropAll(owned.stream().map(collection -> collection.id).toList());
            return collections.delete("userId", user);
        });
    }

    /**
     * Checks documents a client sent and gives each an id (a random UUID when none was sent).
     *
     * @param param the request field holding them, named in errors
     */
    public List<DocumentInput> validated(List<DocumentInput> docs, String param, int max) {
        if (docs == null || docs.isEmpty()) {
            throw InferenceException.invalid(param, "invalid_input", "'" + param + "' must be a non-empty array");
        }
        if (docs.size() > max) {
            throw InferenceException.invalid(param, "too_many_documents", "'" + param + "' has " + docs.size()
                    + " documents; at most " + max + " per request (larger imports: an index_documents job)");
        }
        List<DocumentInput> out = new ArrayList<>(docs.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < docs.size(); i++) {
            DocumentInput doc = docs.get(i);
            String at = param + "[" + i + "]";
            if (doc == null) {
                throw InferenceException.invalid(at, "invalid_input", "'" + at + "' must be an object");
            }
            if (doc.text() == null || doc.text().isBlank()) {
                throw InferenceException.invalid(at + ".text", "invalid_input", "'" + at + ".text' must be a non-empty string");
            }
            String id = doc.id() == null ? UUID.randomUUID().toString() : doc.id();
            if (id.isBlank() || id.length() > MAX_ID_LENGTH) {
                throw InferenceException.invalid(at + ".id", "invalid_input", "'" + at + ".id' must be 1-"
                        + MAX_ID_LENGTH + " characters");
            }
            if (!seen.add(id)) {
                throw InferenceException.invalid(at + ".id", "duplicate_document_id", "'" + at + ".id' repeats '"
                        + id + "'");
            }
            if (doc.metadata() != null && write(doc.metadata()).length() > config.collections().maxMetadataBytes()) {
                throw InferenceException.invalid(at + ".metadata", "metadata_too_large", "'" + at + ".metadata' is"
                        + " larger than " + config.collections().maxMetadataBytes() + " bytes as JSON");
            }
            out.add(new DocumentInput(id, doc.text(), doc.metadata()));
        }
        return out;
    }

    /** A search filter: metadata key to a string, number or boolean that must match. */
    public static Map<String, Object> validatedFilter(Map<String, Object> filter) {
        if (filter == null) {
            return Map.of();
        }
        filter.forEach((key, value) -> {
            if (!(value instanceof String || value instanceof Number || value instanceof Boolean)) {
                throw InferenceException.invalid("filter." + key, "invalid_filter", "'filter." + key
                        + "' must be a string, number or boolean to match");
            }
        });
        return filter;
    }

    private static Map<String, Document> byDocId(List<Document> docs) {
        Map<String, Document> byId = new HashMap<>();
        docs.forEach(doc -> byId.put(doc.docId, doc));
        return byId;
    }

    private String write(Map<String, Object> metadata) {
        try {
            return metadata == null ? null : json.writeValueAsString(metadata);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The token's tier claim describes the caller only. */
    private static String tierClaim(Caller caller, UUID owner) {
        return owner.equals(caller.userId()) ? caller.tier() : null;
    }

    private static DocumentCollection visible(DocumentCollection found, String name) {
        if (found == null) {
            throw notFound(name);
        }
        return found;
    }

    public static InferenceException notFound(String name) {
        return new InferenceException(404, "invalid_request_error", "collection_not_found", null,
                "no collection '" + name + "'", null);
    }

    private static InferenceException exists(String name) {
        return new InferenceException(409, "invalid_request_error", "collection_exists", "name",
                "a collection named '" + name + "' exists already", null);
    }
}
