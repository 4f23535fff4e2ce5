package dev.meridian.user.service;

import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.repository.LoginFailureRepository;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Back-off after repeated failed logins, per (account, client address): after the free attempts, each failure from
 * that address makes it wait twice as long as the last (1 s, 2 s, 4 s ...), capped. An attacker guessing from one
 * address is slowed more and more (during its back-off even the right password is refused from there), while the
 * owner logging in from another address is not affected. Counting per account instead would let anyone who knows an
 * email keep its owner out. Guessing spread over many addresses gets the free attempts per address; the gateway's
 * per-address rate limits bound that.
 */
@ApplicationScoped
public class LoginThrottle {

    private static final Logger LOG = Logger.getLogger(LoginThrottle.class);

    private final LoginFailureRepository failures;
    private final UserServiceConfig.Login config;

    public LoginThrottle(LoginFailureRepository failures, UserServiceConfig config) {
        this.failures = failures;
        this.config = config.login();
    }

    public Uni<Boolean> isBackingOff(UUID userId, String client, Instant now) {
        return failures.lockedUntil(userId, client).map(until -> until != null && until.isAfter(now));
    }

    public Uni<Void> recordFailure(UUID userId, String client) {
        Instant now = Instant.now();
        return failures.recordFailure(userId, client, now).flatMap(count -> {
            Instant until = lockUntil(count, now);
            return until == null ? Uni.createFrom().voidItem() : failures.lock(userId, client, until);
        });
    }

    /** A correct password from this address; other addresses keep their back-off. */
    public Uni<Void> reset(UUID userId, String client) {
        return failures.clear(userId, client);
    }

    /** Keeps the bookkeeping bounded: addresses quiet for forget-after start afresh. */
    @Scheduled(every = "${meridian.users.login.prune-interval:10m}", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> forgetQuietAddresses() {
        Instant now = Instant.now();
        return failures.forget(now.minus(config.forgetAfter()), now)
                .onFailure().invoke(e -> LOG.warnf("could not prune login failures, retried later: %s", e.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
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
