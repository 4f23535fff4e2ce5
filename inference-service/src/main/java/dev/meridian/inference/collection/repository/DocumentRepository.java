package dev.meridian.inference.collection.repository;

import dev.meridian.inference.collection.Document;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Collection;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class DocumentRepository implements PanacheRepositoryBase<Document, Document.Key> {

    /** A document with its collection's version, read in one statement (one snapshot). */
    public record Snapshot(String docId, byte[] embedding, String metadata, int collectionVersion) {
    }

    public Uni<List<Document>> findAll(UUID collectionId, Collection<String> docIds) {
        return list("collectionId = ?1 and docId in ?2", collectionId, docIds);
    }

    public Uni<List<Snapshot>> snapshot(UUID collectionId) {
        return getSession().flatMap(session -> session.createSelectionQuery(
                "select d.docId, d.embedding, d.metadata, c.version from Document d, DocumentCollection c"
                        + " where c.id = d.collectionId and c.id = ?1", Object[].class)
                .setParameter(1, collectionId).getResultList())
                .map(rows -> rows.stream().map(row -> new Snapshot((String) row[0], (byte[]) row[1],
                        (String) row[2], (Integer) row[3])).toList());
    }

    public Uni<Long> deleteOne(UUID collectionId, String docId) {
        return delete("collectionId = ?1 and docId = ?2", collectionId, docId);
    }
}
