package dev.meridian.inference.collection.rest;

import dev.meridian.inference.collection.rest.CollectionDtos.CollectionList;
import dev.meridian.inference.collection.rest.CollectionDtos.CollectionView;
import dev.meridian.inference.collection.rest.CollectionDtos.CreateCollection;
import dev.meridian.inference.collection.rest.CollectionDtos.DocumentsStored;
import dev.meridian.inference.collection.rest.CollectionDtos.PutDocuments;
import dev.meridian.inference.collection.rest.CollectionDtos.SearchMatch;
import dev.meridian.inference.collection.rest.CollectionDtos.SearchRequest;
import dev.meridian.inference.collection.rest.CollectionDtos.SearchResponse;
import dev.meridian.inference.collection.service.CollectionService;
import dev.meridian.inference.collection.service.DocumentInput;
import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.usage.BillableCall;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.inference.usage.BillableCall.IDEMPOTENCY_KEY;
import static dev.meridian.inference.usage.BillableCall.REQUEST_ID;

/**
 * The caller's semantic collections. Names are per user; another user's collection does not exist for the caller.
 * Admins address anyone's with {@code ?owner=<user id>}.
 */
@Path("/v1/collections")
@Authenticated
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class CollectionResource {

    private final CollectionService collections;
    private final InferenceConfig config;
    private final SecurityIdentity identity;

    public CollectionResource(CollectionService collections, InferenceConfig config, SecurityIdentity identity) {
        this.collections = collections;
        this.config = config;
        this.identity = identity;
    }

    @POST
    @Operation(summary = "Create a collection; its model version is fixed from then on")
    public Uni<Response> create(CreateCollection request, @QueryParam("owner") String owner) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        Caller caller = Caller.of(identity);
        return collections.create(caller, caller.owner(owner), request.name(), request.model())
                .map(created -> Response.status(201).entity(CollectionView.of(created))
                        .location(URI.create("/v1/collections/" + created.name)).build());
    }

    @GET
    @Operation(summary = "My collections")
    public Uni<CollectionList> list(@QueryParam("owner") String owner) {
        return collections.list(Caller.of(identity).owner(owner))
                .map(found -> new CollectionList("list", found.stream().map(CollectionView::of).toList()));
    }

    @GET
    @Path("/{name}")
    public Uni<CollectionView> get(@PathParam("name") String name, @QueryParam("owner") String owner) {
        return collections.get(Caller.of(identity).owner(owner), name).map(CollectionView::of);
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Delete a collection and all its documents")
    public Uni<Response> delete(@PathParam("name") String name, @QueryParam("owner") String owner) {
        return collections.delete(Caller.of(identity).owner(owner), name).map(ignored -> Response.noContent().build());
    }

    @POST
    @Path("/{name}/documents")
    @Operation(summary = "Embed and store documents (insert, or replace by id); up to 128 per request")
    public Uni<DocumentsStored> put(@PathParam("name") String name, PutDocuments request,
                                    @QueryParam("owner") String owner,
                                    @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
                                    @HeaderParam(REQUEST_ID) String requestId) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        Caller caller = Caller.of(identity);
        List<DocumentInput> docs = collections.validated(request.documents(), "documents",
                config.collections().maxDocumentsPerRequest());
        UUID ownerId = caller.owner(owner);
        return collections.put(caller, ownerId, name, docs, Boolean.TRUE.equals(request.truncate()),
                        billable("/v1/collections/{name}/documents", caller, ownerId, idempotencyKey, requestId))
                .map(collection -> new DocumentsStored("collection.documents", collection.name,
                        docs.stream().map(DocumentInput::id).toList(), collection.documentCount));
    }

    @DELETE
    @Path("/{name}/documents/{id}")
    public Uni<Response> deleteDocument(@PathParam("name") String name, @PathParam("id") String id,
                                        @QueryParam("owner") String owner) {
        return collections.deleteDocument(Caller.of(identity).owner(owner), name, id)
                .map(ignored -> Response.noContent().build());
    }

    @POST
    @Path("/{name}/search")
    @Operation(summary = "The k documents closest in meaning to the query (cosine), optionally filtered on metadata")
    public Uni<SearchResponse> search(@PathParam("name") String name, SearchRequest request,
                                      @QueryParam("owner") String owner,
                                      @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
                                      @HeaderParam(REQUEST_ID) String requestId) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        if (request.query() == null || request.query().isBlank()) {
            throw InferenceException.invalid("query", "invalid_input", "'query' must be a non-empty string");
        }
        int k = request.k() == null ? 10 : request.k();
        if (k < 1 || k > config.collections().maxK()) {
            throw InferenceException.invalid("k", "invalid_value", "'k' must be between 1 and "
                    + config.collections().maxK());
        }
        Map<String, Object> filter = CollectionService.validatedFilter(request.filter());
        Caller caller = Caller.of(identity);
        UUID ownerId = caller.owner(owner);
        return collections.search(caller, ownerId, name, request.query(), k, filter,
                        billable("/v1/collections/{name}/search", caller, ownerId, idempotencyKey, requestId))
                .map(result -> new SearchResponse("list", result.collection().name,
                        result.collection().qualifiedModel(),
                        result.hits().stream().map(SearchMatch::of).toList()));
    }

    /** Billed to the collection's owner; through the caller's API key only when the caller is the owner. */
    private static BillableCall billable(String endpoint, Caller caller, UUID owner, String idempotencyKey,
                                         String requestId) {
        return BillableCall.of(endpoint, idempotencyKey, requestId,
                caller.userId().equals(owner) ? caller.apiKeyId() : null);
    }
}
