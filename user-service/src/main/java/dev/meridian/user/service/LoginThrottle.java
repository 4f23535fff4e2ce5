package dev.meridian.user.service;

import dev.meridian.user.User;
import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.repository.UserRepository;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Per-account back-off after repeated failed logins: after the free attempts, each failure locks the account for
 * twice as long as the last (1 s, 2 s, 4 s ...), capped, so guessing gets slow but nobody is locked out for good.
 */
@ApplicationScoped
public class LoginThrottle {

    private final UserRepository users;
    private final UserServiceConfig.Login config;

    public LoginThrottle(UserRepository users, UserServiceConfig config) {
        this.users = users;
        this.config = config.login();
    }

    public boolean isBackingOff(User user, Instant now) {
        return user.lockedUntil != null && user.lockedUntil.isAfter(now);
    }

    /** Bulk updates, not entity changes: login bookkeeping must not bump the version a client's If-Match holds. */
    @WithTransaction
    public Uni<Void> recordFailure(UUID userId) {
        Instant now = Instant.now();
        return users.update("failedLogins = failedLogins + 1 where id = ?1", userId)
                .flatMap(ignored -> users.findById(userId))
                .flatMap(user -> {
                    Instant until = lockUntil(user.failedLogins, now);
                    return until == null ? Uni.createFrom().voidItem()
                            : users.update("lockedUntil = ?1 where id = ?2", until, userId).replaceWithVoid();
                });
    }

    public Uni<Integer> reset(UUID userId) {
        return users.update("failedLogins = 0, lockedUntil = null where id = ?1 and (failedLogins <> 0 or lockedUntil is not null)",
                userId);
    }

    Instant lockUntil(int failures, Instant now) {
        int over = failures - config.freeAttempts();
        if (over < 0) {
            return null;
        }
        Duration lock = Duration.ofSeconds(1L << Math.min(over, 20));
        return now.plus(lock.compareTo(config.maxLock()) > 0 ? config.maxLock() : lock);
    }
}
