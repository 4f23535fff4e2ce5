package dev.meridian.inference.user.service;

import dev.meridian.events.EventEnvelope;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.user.UserErased;
import dev.meridian.events.user.UserRegistered;
import dev.meridian.events.user.UserUpdated;
import dev.meridian.inference.collection.service.CollectionService;
import dev.meridian.inference.embedding.service.EmbeddingCache;
import dev.meridian.inference.batch.repository.BatchFileRepository;
import dev.meridian.inference.batch.repository.BatchRepository;
import dev.meridian.inference.job.repository.JobRepository;
import dev.meridian.inference.user.ProcessedEvent;
import dev.meridian.inference.user.UserProfile;
import dev.meridian.inference.user.repository.ProcessedEventRepository;
import dev.meridian.inference.usage.repository.UsageRepository;
import dev.meridian.inference.user.repository.UserProfileRepository;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.UUID;

/**
 * Applies users.v1 to what this service keeps per user. Each event is applied once (its id is recorded in the same
 * transaction), older updates never overwrite newer ones (user-service's account version), and an erased user stays
 * erased whatever arrives later.
 */
@ApplicationScoped
public class UserEventService {

    private static final Logger LOG = Logger.getLogger(UserEventService.class);
    static final String ERASED = "erased";

    private final UserProfileRepository profiles;
    private final ProcessedEventRepository processed;
    private final JobRepository jobs;
    private final CollectionService collections;
    private final EmbeddingCache cache;
    private final UsageRepository usage;
    private final BatchRepository batches;
    private final BatchFileRepository files;

    public UserEventService(UserProfileRepository profiles, ProcessedEventRepository processed, JobRepository jobs,
                            CollectionService collections, EmbeddingCache cache, UsageRepository usage,
                            BatchRepository batches, BatchFileRepository files) {
        this.cache = cache;
        this.batches = batches;
        this.files = files;
        this.usage = usage;
        this.profiles = profiles;
        this.processed = processed;
        this.jobs = jobs;
        this.collections = collections;
    }

    public Uni<Void> apply(EventEnvelope<MeridianEvent> event) {
        UUID eventId = UUID.fromString(event.id());
        return Panache.withTransaction(() -> processed.findById(eventId).flatMap(seen -> {
            if (seen != null) {
                return Uni.createFrom().voidItem();
            }
            ProcessedEvent record = new ProcessedEvent();
            record.eventId = eventId;
            record.processedAt = Instant.now();
            return processed.persist(record).flatMap(ignored -> effect(event.data()));
        })).call(() -> event.data() instanceof UserErased erased ? forgetCached(erased.userId())
                : Uni.createFrom().voidItem());
    }

    /**
     * After the rows are gone: the user's cached vectors. Best effort, as the cache is: if the cache Redis is down, or
     * has evicted the user's record of their entries (it evicts least recently used keys when full), the entries it
     * cannot name expire with the cache TTL instead, which is then the longest they outlive the erasure.
     */
    private Uni<Void> forgetCached(UUID userId) {
        return cache.forget(userId.toString())
                .invoke(deleted -> LOG.infof("user %s erased: %d cache keys deleted", userId, deleted))
                .onFailure().invoke(e -> LOG.warnf("user %s erased, but their cached vectors stay until they expire: %s",
                        userId, e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private Uni<Void> effect(MeridianEvent data) {
        if (data instanceof UserRegistered registered) {
            return upsert(registered.userId(), registered.tier(), "active", 0);
        }
        if (data instanceof UserUpdated updated) {
            return upsert(updated.userId(), updated.tier(), updated.status().name().toLowerCase(), updated.version());
        }
        if (data instanceof UserErased erased) {
            return erase(erased.userId());
        }
        return Uni.createFrom().voidItem();
    }

    private Uni<Void> upsert(UUID userId, String tier, String status, long version) {
        return profiles.findById(userId).flatMap(profile -> {
            if (profile == null) {
                profile = new UserProfile();
                profile.userId = userId;
                profile.version = -1;
            } else if (ERASED.equals(profile.status) || version <= profile.version) {
                return Uni.createFrom().voidItem(); // stale, replayed, or about a user who is gone
            }
            profile.tier = tier;
            profile.status = status;
            profile.version = version;
            profile.updatedAt = Instant.now();
            return profiles.persist(profile).replaceWithVoid();
        });
    }

    /**
     * Everything of the user's goes: jobs with their inputs and results, batches and files, collections with their
     * documents; their usage stays as anonymous totals. The tombstone keeps them gone.
     */
    private Uni<Void> erase(UUID userId) {
        return jobs.deleteAllOf(userId).flatMap(deletedJobs -> collections.eraseAllOf(userId).flatMap(deleted ->
                batches.deleteAllOf(userId).call(() -> files.deleteAllOf(userId)).flatMap(ignored ->
                usage.anonymise(userId)).flatMap(anonymous -> {
                    LOG.infof("user %s erased: %d jobs (batches and files with them) and %d collections deleted,"
                            + " %d usage records anonymised", userId, deletedJobs, deleted, anonymous);
                    return profiles.findById(userId);
                }))).flatMap(profile -> {
            if (profile == null) {
                profile = new UserProfile();
                profile.userId = userId;
                profile.tier = "free";
                profile.version = Long.MAX_VALUE;
            }
            profile.status = ERASED;
            profile.updatedAt = Instant.now();
            return profiles.persist(profile).replaceWithVoid();
        });
    }
}
