package dev.meridian.user.service;

import dev.meridian.events.user.UserRegistered;
import dev.meridian.events.user.UserStatus;
import dev.meridian.events.user.UserUpdated;
import dev.meridian.outbox.OutboxService;
import dev.meridian.user.AuditEntry;
import dev.meridian.user.Tier;
import dev.meridian.user.User;
import dev.meridian.user.repository.AuditRepository;
import dev.meridian.user.repository.RefreshTokenRepository;
import dev.meridian.user.repository.UserRepository;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.exception.ConstraintViolationException;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.regex.Pattern;

/** Sign-up and self-service on one's own account. Every change a subscriber cares about goes to the outbox. */
@ApplicationScoped
public class AccountService {

    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+$");

    private final UserRepository users;
    private final RefreshTokenRepository refreshTokens;
    private final AuditRepository audit;
    private final PasswordHasher hasher;
    private final OutboxService outbox;

    public AccountService(UserRepository users, RefreshTokenRepository refreshTokens, AuditRepository audit,
                          PasswordHasher hasher, OutboxService outbox) {
        this.users = users;
        this.refreshTokens = refreshTokens;
        this.audit = audit;
        this.hasher = hasher;
        this.outbox = outbox;
    }

    /** Hashes first (on a worker), then inserts user and UserRegistered in one transaction; a taken email is 409. */
    public Uni<User> signUp(String email, String password, String displayName, boolean admin) {
        String normalised = User.normaliseEmail(email);
        if (normalised == null || normalised.length() > 320 || !EMAIL.matcher(normalised).matches()) {
            return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.INVALID,
                    "email must be a valid email address", "email"));
        }
        String name = displayName == null ? "" : displayName.strip();
        if (name.isEmpty() || name.length() > 100) {
            return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.INVALID,
                    "displayName must have 1 to 100 characters", "displayName"));
        }
        try {
            PasswordPolicy.check(password, normalised, "password");
        } catch (ServiceException e) {
            return Uni.createFrom().failure(e);
        }
        return hasher.hash(password).flatMap(hash -> insert(normalised, hash, name, admin))
                .onFailure(AccountService::isUniqueViolation)
                .transform(e -> new ServiceException(ServiceException.Kind.CONFLICT,
                        "an account with this email already exists", "email"));
    }

    @WithTransaction
    Uni<User> insert(String email, String passwordHash, String displayName, boolean admin) {
        User user = new User();
        user.id = UUID.randomUUID();
        user.email = email;
        user.passwordHash = passwordHash;
        user.displayName = displayName;
        user.admin = admin;
        // PostgreSQL keeps microseconds: the 201 body then matches what later reads return
        user.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        user.updatedAt = user.createdAt;
        return users.persistAndFlush(user)
                .call(saved -> outbox.append(new UserRegistered(saved.id, saved.displayName, saved.roles(),
                        saved.tier.wireName(), saved.createdAt)));
    }

    static boolean isUniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException pg && "23505".equals(pg.getSqlState())) {
                return true;
            }
            if (t instanceof ConstraintViolationException cv && "23505".equals(cv.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    @WithSession
    public Uni<User> get(UUID userId) {
        return users.findById(userId).onItem().ifNull().failWith(() -> ServiceException.notFound("user"))
                .invoke(user -> {
                    if (user.status == UserStatus.ERASED) {
                        throw ServiceException.notFound("user");
                    }
                });
    }

    /** The account in any state, erased included. */
    @WithSession
    public Uni<User> find(UUID userId) {
        return users.findById(userId).onItem().ifNull().failWith(() -> ServiceException.notFound("user"));
    }

    /** Optimistic locking: {@code expectedVersion} (from If-Match) must match, and a concurrent write still loses. */
    @WithTransaction
    public Uni<User> updateProfile(UUID userId, Long expectedVersion, String displayName) {
        return get(userId).flatMap(user -> {
            if (expectedVersion != null && expectedVersion != user.version) {
                return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.STALE,
                        "the account changed since version " + expectedVersion + "; it is now at version " + user.version));
            }
            if (displayName != null) {
                String name = displayName.strip();
                if (name.isEmpty() || name.length() > 100) {
                    return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.INVALID,
                            "displayName must have 1 to 100 characters", "displayName"));
                }
                user.displayName = name;
            }
            user.updatedAt = Instant.now();
            return users.flush().call(() -> publishUpdated(user)).replaceWith(user);
        });
    }

    public Uni<Void> publishUpdated(User user) {
        return outbox.append(new UserUpdated(user.id, user.version, user.displayName, user.roles(),
                user.tier.wireName(), user.status, user.updatedAt)).replaceWithVoid();
    }

    /** Needs the current password; revokes every refresh token, so other sessions must log in again. */
    public Uni<Void> changePassword(UUID userId, String currentPassword, String newPassword) {
        return get(userId).flatMap(user -> {
            try {
                PasswordPolicy.check(newPassword, user.email, "newPassword");
            } catch (ServiceException e) {
                return Uni.createFrom().failure(e);
            }
            return requirePassword(user, currentPassword, "currentPassword")
                    .flatMap(ignored -> hasher.hash(newPassword))
                    .flatMap(hash -> storePassword(userId, hash));
        });
    }

    public Uni<Void> requirePassword(User user, String password, String field) {
        if (password == null || password.isEmpty()) {
            return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.FORBIDDEN,
                    field + " is required to confirm this change", field));
        }
        return hasher.verify(password, user.passwordHash).flatMap(ok -> ok ? Uni.createFrom().voidItem()
                : Uni.createFrom().failure(new ServiceException(ServiceException.Kind.FORBIDDEN,
                "the " + field + " is not correct", field)));
    }

    @WithTransaction
    Uni<Void> storePassword(UUID userId, String hash) {
        Instant now = Instant.now();
        return users.findById(userId).flatMap(user -> {
            user.passwordHash = hash;
            user.updatedAt = now;
            return refreshTokens.revokeAllOf(userId, now)
                    .call(() -> audit.persist(AuditEntry.of(userId, "password.change", userId, null)));
        }).replaceWithVoid();
    }

    public static Tier parseTier(String tier) {
        for (Tier t : Tier.values()) {
            if (t.wireName().equals(tier)) {
                return t;
            }
        }
        throw new ServiceException(ServiceException.Kind.INVALID, "tier must be one of free, pro", "tier");
    }
}
