package dev.meridian.inference.user.service;

import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.user.UserProfile;
import dev.meridian.inference.user.repository.UserProfileRepository;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.UUID;

/** A user's limits: their tier as users.v1 reported it (the token's until that arrived); inactive accounts get none. */
@ApplicationScoped
public class QuotaService {

    public record Limits(String tier, InferenceConfig.Quota quota) {
    }

    private final UserProfileRepository profiles;
    private final InferenceConfig config;

    public QuotaService(UserProfileRepository profiles, InferenceConfig config) {
        this.profiles = profiles;
        this.config = config;
    }

    /** Call inside a session. {@code tokenTier} is the caller's claim when the caller is the user, else null. */
    public Uni<Limits> of(UUID user, String tokenTier) {
        return profiles.findById(user).map(profile -> limits(profile, tokenTier));
    }

    /**
     * The tier whose token budget the user's work is charged to, whatever the account's status (call inside a
     * session). {@code tokenTier} as for {@link #of}.
     */
    public Uni<String> tier(UUID user, String tokenTier) {
        return profiles.findById(user).map(profile -> profile != null ? profile.tier
                : tokenTier != null ? tokenTier : "free");
    }

    /**
     * {@link #of} for a count-then-insert quota check: call inside the transaction that inserts. It first takes a
     * transaction-scoped advisory lock on the user, so that user's concurrent checks run one after the other, each
     * counting what the previous one committed (a row lock would not do: a user may have no user_profiles row yet).
     * Other users are not held up (but for the rare hashtext collision, which only serialises two users).
     */
    public Uni<Limits> ofLocked(UUID user, String tokenTier) {
        return Panache.getSession()
                .flatMap(session -> session.createNativeQuery(
                                "SELECT 1 FROM pg_advisory_xact_lock(hashtext(:user))", Integer.class)
                        .setParameter("user", user.toString())
                        .getSingleResult())
                .flatMap(locked -> of(user, tokenTier));
    }

    private Limits limits(UserProfile profile, String tokenTier) {
        if (profile != null && !"active".equals(profile.status)) {
            throw new InferenceException(403, "invalid_request_error", "account_" + profile.status, null,
                    "this account is " + profile.status, null);
        }
        String tier = profile != null ? profile.tier : tokenTier != null ? tokenTier : "free";
        return new Limits(tier, config.quotas().getOrDefault(tier, config.quotas().get("free")));
    }
}
