package dev.meridian.inference.user.service;

import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.user.UserProfile;
import dev.meridian.inference.user.repository.UserProfileRepository;
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

    private Limits limits(UserProfile profile, String tokenTier) {
        if (profile != null && !"active".equals(profile.status)) {
            throw new InferenceException(403, "invalid_request_error", "account_" + profile.status, null,
                    "this account is " + profile.status, null);
        }
        String tier = profile != null ? profile.tier : tokenTier != null ? tokenTier : "free";
        return new Limits(tier, config.quotas().getOrDefault(tier, config.quotas().get("free")));
    }
}
