package dev.meridian.inference.usage.repository;

import dev.meridian.inference.usage.UsageRecord;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * usage_records: one row per billable call, unique by request key. Written in batches by the shipper with the plain
 * reactive client (arrays in one statement); erasure runs inside the users.v1 consumer's Hibernate transaction.
 */
@ApplicationScoped
public class UsageRepository {

    /** The columns a report may group by, by their API name. */
    public static final List<String> GROUPS = List.of("model", "api_key_id", "endpoint", "user_id");

    private final Pool pool;

    public UsageRepository(Pool pool) {
        this.pool = pool;
    }

    /** One bucket's row of a report: values of the grouped columns (null when not grouped), totals. */
    public record Total(long bucket, String model, UUID apiKeyId, String endpoint, UUID userId, long inputTokens,
                        long requests) {
    }

    /**
     * Stores records, each at most once (by request key). A record of a user already erased is stored without the
     * user and key. Each user's advisory lock (the one erasure takes) is held, so an erasure running meanwhile either
     * sees these rows or is seen by them.
     */
    public Uni<Integer> insert(List<UsageRecord> records) {
        int n = records.size();
        String[] keys = new String[n];
        String[] requestIds = new String[n];
        UUID[] users = new UUID[n];
        UUID[] apiKeys = new UUID[n];
        String[] models = new String[n];
        String[] endpoints = new String[n];
        Integer[] inputs = new Integer[n];
        Long[] tokens = new Long[n];
        java.time.OffsetDateTime[] at = new java.time.OffsetDateTime[n];
        for (int i = 0; i < n; i++) {
            UsageRecord r = records.get(i);
            keys[i] = r.requestKey();
            requestIds[i] = r.requestId();
            users[i] = r.userId();
            apiKeys[i] = r.apiKeyId();
            models[i] = r.model();
            endpoints[i] = r.endpoint();
            inputs[i] = r.inputs();
            tokens[i] = r.inputTokens();
            at[i] = r.at().atOffset(ZoneOffset.UTC);
        }
        String[] lockKeys = records.stream().map(r -> r.userId().toString()).distinct().sorted().toArray(String[]::new);
        return pool.withTransaction(connection -> connection
                .preparedQuery("SELECT count(*) FROM unnest($1::text[]) AS u, LATERAL pg_advisory_xact_lock(hashtext(u))")
                .execute(Tuple.of(lockKeys))
                .flatMap(locked -> connection.preparedQuery("""
                        INSERT INTO usage_records (request_key, request_id, user_id, api_key_id, model, endpoint, inputs,
                                                   input_tokens, created_at)
                        SELECT v.request_key, v.request_id,
                               CASE WHEN p.status = 'erased' THEN NULL ELSE v.user_id END,
                               CASE WHEN p.status = 'erased' THEN NULL ELSE v.api_key_id END,
                               v.model, v.endpoint, v.inputs, v.input_tokens, v.created_at
                        FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::int[],
                                    $8::bigint[], $9::timestamptz[])
                             AS v(request_key, request_id, user_id, api_key_id, model, endpoint, inputs, input_tokens,
                                  created_at)
                        LEFT JOIN user_profiles p ON p.user_id = v.user_id
                        ON CONFLICT (request_key) DO NOTHING""")
                        .execute(Tuple.from(new Object[]{keys, requestIds, users, apiKeys, models, endpoints, inputs,
                                tokens, at})))
                .map(result -> result.rowCount()));
    }

    /** Inside the erasing transaction: the user's usage stays only as anonymous totals. */
    public Uni<Integer> anonymise(UUID userId) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                        "SELECT 1 FROM pg_advisory_xact_lock(hashtext(:user))", Integer.class)
                .setParameter("user", userId.toString()).getSingleResult()
                .flatMap(locked -> session.createNativeQuery(
                                "UPDATE usage_records SET user_id = NULL, api_key_id = NULL WHERE user_id = :user")
                        .setParameter("user", userId).executeUpdate()));
    }

    /**
     * Totals per bucket of {@code width} seconds counted from {@code start} (inclusive) to {@code end} (exclusive),
     * grouped by {@code groups} (names from {@link #GROUPS}), for one user or, when {@code users} is null, everyone
     * (an empty list: the users named).
     */
    public Uni<List<Total>> totals(long start, long end, long width, List<String> groups, List<UUID> users) {
        for (String group : groups) {
            if (!GROUPS.contains(group)) {
                throw new IllegalArgumentException(group); // callers check: the names become SQL
            }
        }
        String columns = String.join("", GROUPS.stream()
                .map(g -> groups.contains(g) ? ", " + g : ", NULL AS " + g).toList());
        String groupBy = String.join("", groups.stream().map(g -> ", " + g).toList());
        String sql = "SELECT floor((extract(epoch FROM created_at) - $1::bigint) / $3::bigint)::bigint AS bucket"
                + columns + ", sum(input_tokens)::bigint AS input_tokens, count(*) AS requests FROM usage_records"
                + " WHERE created_at >= to_timestamp($1::bigint) AND created_at < to_timestamp($2::bigint)"
                + (users == null ? "" : " AND user_id = ANY($4::uuid[])")
                + " GROUP BY 1" + groupBy + " ORDER BY 1" + groupBy;
        Tuple params = Tuple.of(start, end, width);
        if (users != null) {
            params.addValue(users.toArray(UUID[]::new));
        }
        return pool.preparedQuery(sql).execute(params).map(rows -> {
            List<Total> totals = new ArrayList<>();
            for (Row row : rows) {
                totals.add(new Total(row.getLong("bucket"), row.getString("model"), row.getUUID("api_key_id"),
                        row.getString("endpoint"), row.getUUID("user_id"), row.getLong("input_tokens"),
                        row.getLong("requests")));
            }
            return totals;
        });
    }
}
