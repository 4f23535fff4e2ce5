package dev.meridian.inference.job.repository;

import dev.meridian.inference.job.Job;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class JobRepository implements PanacheRepositoryBase<Job, UUID> {

    /** A user's jobs, newest first, after the keyset (createdAt, id) of the previous page's last job. */
    public Uni<List<Job>> page(UUID userId, Instant afterCreatedAt, UUID afterId, int limit) {
        if (afterCreatedAt == null) {
            return find("userId = ?1 order by createdAt desc, id desc", userId).range(0, limit - 1).list();
        }
        return find("userId = :user and (createdAt < :at or (createdAt = :at and id < :id)) order by createdAt desc, id desc",
                Parameters.with("user", userId).and("at", afterCreatedAt).and("id", afterId))
                .range(0, limit - 1).list();
    }

    /** A job's vectors (null before it completes), which loading the job leaves in the database. */
    public Uni<byte[]> resultOf(UUID id) {
        return getSession().flatMap(session -> session
                .createSelectionQuery("select j.result from Job j where j.id = :id", byte[].class)
                .setParameter("id", id).getSingleResultOrNull());
    }

    public Uni<Long> countActive(UUID userId) {
        return count("userId = ?1 and status in ?2", userId, List.of(Job.Status.PENDING, Job.Status.RUNNING));
    }

    public Uni<Long> deleteAllOf(UUID userId) {
        return delete("userId", userId);
    }

    public Uni<Integer> recordProgress(UUID id, int done) {
        return update("doneCount = ?1 where id = ?2 and status = ?3", done, id, Job.Status.RUNNING);
    }
}
