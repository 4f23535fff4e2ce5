package dev.meridian.user.repository;

import dev.meridian.user.Tier;
import dev.meridian.user.User;
import dev.meridian.events.user.UserStatus;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class UserRepository implements PanacheRepositoryBase<User, UUID> {

    public Uni<User> findByEmail(String normalisedEmail) {
        return find("email", normalisedEmail).firstResult();
    }

    public Uni<Long> countAdmins() {
        return count("admin = true and status <> ?1", UserStatus.ERASED);
    }

    /** Keyset pagination by id: stable under inserts, no OFFSET scans. */
    public Uni<List<User>> page(UUID after, int limit, String emailPrefix, Boolean admin, Tier tier, UserStatus status) {
        List<String> where = new ArrayList<>();
        Parameters params = new Parameters();
        if (after != null) {
            where.add("id > :after");
            params.and("after", after);
        }
        if (emailPrefix != null && !emailPrefix.isBlank()) {
            where.add("email like :prefix");
            params.and("prefix", User.normaliseEmail(emailPrefix).replace("\\", "\\\\").replace("%", "\\%")
                    .replace("_", "\\_") + "%");
        }
        if (admin != null) {
            where.add("admin = :admin");
            params.and("admin", admin);
        }
        if (tier != null) {
            where.add("tier = :tier");
            params.and("tier", tier);
        }
        if (status != null) {
            where.add("status = :status");
            params.and("status", status);
        }
        String query = (where.isEmpty() ? "" : String.join(" and ", where)) + " order by id";
        return find(query, params).range(0, limit - 1).list();
    }
}
