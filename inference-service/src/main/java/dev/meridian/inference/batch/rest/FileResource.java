package dev.meridian.inference.batch.rest;

import dev.meridian.inference.batch.BatchFile;
import dev.meridian.inference.batch.rest.BatchDtos.DeletedFile;
import dev.meridian.inference.batch.rest.BatchDtos.FileView;
import dev.meridian.inference.batch.rest.BatchDtos.Page;
import dev.meridian.inference.batch.service.BatchFileService;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.InferenceException;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestMulti;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import java.util.List;
import java.util.Map;

/** OpenAI's Files API, for batch input files and the output and error files batches leave. */
@Path("/v1/files")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
public class FileResource {

    private final BatchFileService files;
    private final SecurityIdentity identity;
    private final Vertx vertx;

    public FileResource(BatchFileService files, SecurityIdentity identity, Vertx vertx) {
        this.files = files;
        this.identity = identity;
        this.vertx = vertx;
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Upload a JSONL file of requests (purpose=batch)")
    public Uni<FileView> upload(@RestForm("file") FileUpload file, @RestForm("purpose") String purpose) {
        if (file == null) {
            throw InferenceException.invalid("file", "missing_required_parameter", "'file' is required");
        }
        if (purpose == null) {
            throw InferenceException.invalid("purpose", "missing_required_parameter", "'purpose' is required");
        }
        return vertx.fileSystem().readFile(file.uploadedFile().toString())
                .flatMap(bytes -> files.upload(caller(), purpose, file.fileName(), bytes.getBytes()))
                .map(FileView::of);
    }

    @GET
    @Operation(summary = "My files, newest first; pass the last id as 'after' for the next page")
    public Uni<Page<FileView>> list(@QueryParam("purpose") String purpose, @QueryParam("after") String after,
                                    @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw InferenceException.invalid("limit", "invalid_value", "'limit' must be between 1 and 1000");
        }
        return files.list(caller(), purpose, after, limit + 1).map(page -> Page.of(page, limit, FileView::of, FileView::id));
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "A file's description")
    public Uni<FileView> get(@PathParam("id") String id) {
        return files.get(caller(), id).map(FileView::of);
    }

    @GET
    @Path("/{id}/content")
    // raw chunks (one media type: a streamed Multi cannot negotiate); the OpenAI SDK asks for exactly this one, other
    // clients send */* or nothing, and the Content-Type header says octet-stream
    @Produces("application/binary")
    @Operation(summary = "A file's content: an upload as sent, a batch's output or errors as JSONL")
    public RestMulti<Buffer> content(@PathParam("id") String id) {
        return RestMulti.fromUniResponse(files.content(caller(), id), content -> content,
                content -> Map.of(HttpHeaders.CONTENT_TYPE, List.of(MediaType.APPLICATION_OCTET_STREAM)));
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a file (a batch already created from it keeps running)")
    public Uni<DeletedFile> delete(@PathParam("id") String id) {
        return files.delete(caller(), id).replaceWith(new DeletedFile(id, "file", true));
    }

    private Caller caller() {
        return Caller.of(identity);
    }
}
