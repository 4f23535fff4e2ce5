package dev.meridian.inference.user.rest;

import dev.meridian.events.Topics;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.user.messaging.UsersDeadLetterReplay;
import dev.meridian.inference.user.messaging.UsersDeadLetterReplay.Unreadable;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.util.List;

/** Operators' way back for users.v1 events that were dead-lettered: apply them again (idempotent). */
@Path("/v1/admin/dead-letters")
@RolesAllowed("admin")
@Produces(MediaType.APPLICATION_JSON)
public class DeadLetterResource {

    public record ReplayResult(String object, String topic, int replayed, List<Unreadable> unreadable,
                               boolean complete) {
    }

    private final UsersDeadLetterReplay replay;
    private final SecurityIdentity identity;

    public DeadLetterResource(UsersDeadLetterReplay replay, SecurityIdentity identity) {
        this.replay = replay;
        this.identity = identity;
    }

    @POST
    @Path("/" + Topics.USERS + "/replay")
    @Blocking // reads Kafka with the plain client and waits for each event's transaction
    @Operation(summary = "Apply again every users.v1 event dead-lettered since the last replay (admin)")
    public ReplayResult replayUsers() {
        Caller.of(identity).requireRevocationChecked();
        UsersDeadLetterReplay.Result result = replay.replay();
        return new ReplayResult("dead_letter.replay", Topics.USERS_DLQ, result.replayed(), result.unreadable(),
                result.complete());
    }
}
