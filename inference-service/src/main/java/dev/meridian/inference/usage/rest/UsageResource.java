package dev.meridian.inference.usage.rest;

import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.usage.repository.UsageRepository;
import dev.meridian.inference.usage.rest.UsageDtos.Page;
import dev.meridian.inference.usage.service.UsageQuery;
import dev.meridian.inference.usage.service.UsageReportService;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Usage in the shape of OpenAI's usage API: the caller's own ({@code /v1/usage}), or anyone's for an admin
 * ({@code /v1/admin/usage}, optionally {@code user_ids} and {@code group_by=user_id}). Erased users' usage shows
 * only in the admin report, without a user.
 */
@Path("/v1")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {

    private final UsageReportService reports;
    private final SecurityIdentity identity;

    public UsageResource(UsageReportService reports, SecurityIdentity identity) {
        this.reports = reports;
        this.identity = identity;
    }

    @GET
    @Path("/usage")
    @Operation(summary = "The caller's usage: input tokens and requests per time bucket, optionally grouped")
    public Uni<Page> mine(@BeanParam Params params) {
        Caller caller = Caller.of(identity);
        return reports.report(params.query(UsageQuery.USER_GROUPS), List.of(caller.userId()));
    }

    @GET
    @Path("/admin/usage")
    @Operation(summary = "Usage across users (admins): as /v1/usage, with user_ids and group_by=user_id")
    @RolesAllowed("admin")
    public Uni<Page> all(@BeanParam Params params, @QueryParam("user_ids") List<String> userIds,
                         @QueryParam("user_ids[]") List<String> userIdsArray) {
        Caller.of(identity).requireRevocationChecked();
        UsageQuery query = params.query(UsageRepository.GROUPS);
        List<UUID> users = null;
        List<String> named = both(userIds, userIdsArray);
        if (!named.isEmpty()) {
            users = new ArrayList<>();
            for (String id : named) {
                for (String one : id.split(",")) {
                    try {
                        users.add(UUID.fromString(one.trim()));
                    } catch (IllegalArgumentException e) {
                        throw InferenceException.invalid("user_ids", "invalid_value", "'user_ids' must be user ids");
                    }
                }
            }
        }
        return reports.report(query, users);
    }

    private static List<String> both(List<String> plain, List<String> array) {
        List<String> all = new ArrayList<>(plain == null ? List.of() : plain);
        if (array != null) {
            all.addAll(array);
        }
        return all;
    }

    /** The query parameters both reports take, as OpenAI's usage API names them. */
    public static class Params {
        @QueryParam("start_time")
        Long startTime;
        @QueryParam("end_time")
        Long endTime;
        @QueryParam("bucket_width")
        String bucketWidth;
        @QueryParam("limit")
        Integer limit;
        @QueryParam("group_by")
        List<String> groupBy;
        @QueryParam("group_by[]")
        List<String> groupByArray;
        @QueryParam("page")
        String page;

        UsageQuery query(List<String> groupable) {
            return UsageQuery.of(startTime, endTime, bucketWidth, limit, both(groupBy, groupByArray), page, groupable,
                    System.currentTimeMillis() / 1000);
        }
    }
}
