package dev.meridian.user.service;

import dev.meridian.events.user.UserStatus;
import dev.meridian.user.AuditEntry;
import dev.meridian.user.Tier;
import dev.meridian.user.User;
import dev.meridian.user.repository.AuditRepository;
import dev.meridian.user.repository.RefreshTokenRepository;
import dev.meridian.user.repository.UserRepository;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Admin operations on any account; every change is audited (who, what, when) and published as UserUpdated. */
@ApplicationScoped
public class AdminService {

    public static final int MAX_PAGE = 100;

    private final UserRepository users;
    private final RefreshTokenRepository refreshTokens;
    private final AuditRepository audit;
    private final AccountService accounts;
    private final RevocationService revocations;

    public record Filter(String emailPrefix, String role, Tier tier, UserStatus status) {
    }

    public record Change(List<String> roles, Tier tier, UserStatus status) {
    }

    public AdminService(UserRepository users, RefreshTokenRepository refreshTokens, AuditRepository audit,
                        AccountService accounts, RevocationService revocations) {
        this.users = users;
        this.refreshTokens = refreshTokens;
        this.audit = audit;
        this.accounts = accounts;
        this.revocations = revocations;
    }

    @WithSession
    public Uni<List<User>> list(UUID after, int limit, Filter filter) {
        Boolean admin = filter.role() == null ? null : switch (filter.role()) {
            case User.ROLE_ADMIN -> true;
            case User.ROLE_USER -> null; // every account has the user role
            default -> throw new ServiceException(ServiceException.Kind.INVALID, "role must be user or admin", "role");
        };
        return users.page(after, Math.max(1, Math.min(limit, MAX_PAGE)), filter.emailPrefix(), admin, filter.tier(),
                filter.status());
    }

    /**
     * Applies role, tier and state changes. A role or tier change and disabling revoke the user's existing tokens
     * within seconds (a deny-list entry read by every verifier): tokens carry roles and tier for their 15 minutes, so
     * an old token must not keep the old claims; the client refreshes to get new ones.
     * <p>
     * The database change commits first, then the deny-list is written. When that write fails the answer is 503 with
     * Retry-After, and any retry of a change on this user (even one that now finds nothing to change or a stale
     * If-Match) writes the entry again from the stored revocation time before anything else.
     */
    public Uni<User> change(UUID actorId, UUID userId, Long expectedVersion, Change change) {
        return lastRevocation(userId)
                .call(previous -> revocations.revokeUser(userId, previous))
                .flatMap(previous -> applyChange(actorId, userId, expectedVersion, change)
                        .call(user -> java.util.Objects.equals(previous, user.tokensRevokedAt)
                                ? Uni.createFrom().voidItem()
                                : revocations.revokeUser(userId, user.tokensRevokedAt)));
    }

    @WithSession
    Uni<Instant> lastRevocation(UUID userId) {
        return users.findById(userId).map(user -> user == null ? null : user.tokensRevokedAt);
    }

    @WithTransaction
    Uni<User> applyChange(UUID actorId, UUID userId, Long expectedVersion, Change change) {
        if (change.status() == UserStatus.ERASED) {
            return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.INVALID,
                    "erase an account with DELETE /v1/admin/users/{id}", "status"));
        }
        return accounts.get(userId).flatMap(user -> {
            if (expectedVersion != null && expectedVersion != user.version) {
                return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.STALE,
                        "the account changed since version " + expectedVersion + "; it is now at version " + user.version));
            }
            List<String> what = new ArrayList<>();
            Instant now = Instant.now();
            boolean claimsChange = false;
            if (change.roles() != null) {
                if (!change.roles().contains(User.ROLE_USER)
                        || !List.of(User.ROLE_USER, User.ROLE_ADMIN).containsAll(change.roles())) {
                    return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.INVALID,
                            "roles must be [\"user\"] or [\"user\", \"admin\"]", "roles"));
                }
                boolean admin = change.roles().contains(User.ROLE_ADMIN);
                if (admin != user.admin) {
                    what.add("roles " + user.roles() + " -> " + change.roles());
                    user.admin = admin;
                    claimsChange = true;
                }
            }
            if (change.tier() != null && change.tier() != user.tier) {
                what.add("tier " + user.tier.wireName() + " -> " + change.tier().wireName());
                user.tier = change.tier();
                claimsChange = true;
            }
            if (change.status() != null && change.status() != user.status) {
                what.add("status " + user.status + " -> " + change.status());
                user.status = change.status();
            }
            if (what.isEmpty()) {
                return Uni.createFrom().item(user);
            }
            user.updatedAt = now;
            if (claimsChange || user.status == UserStatus.DISABLED) {
                user.revokeTokens(now); // written to the deny-list once this commits
            }
            Uni<Integer> sessions = user.status == UserStatus.DISABLED
                    ? refreshTokens.revokeAllOf(userId, now) : Uni.createFrom().item(0);
            return sessions
                    .flatMap(ignored -> users.flush())
                    .flatMap(ignored -> audit.persist(AuditEntry.of(actorId, "user.change", userId, String.join("; ", what))))
                    .flatMap(ignored -> accounts.publishUpdated(user))
                    .replaceWith(user);
        });
    }
}
