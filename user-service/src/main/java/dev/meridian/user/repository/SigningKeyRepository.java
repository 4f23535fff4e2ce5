package dev.meridian.user.repository;

import dev.meridian.user.SigningKey;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;

@ApplicationScoped
public class SigningKeyRepository implements PanacheRepositoryBase<SigningKey, String> {

    /** The signing key first, then retired keys whose tokens may still be alive. */
    public Uni<List<SigningKey>> published(Instant retiredAfter) {
        return list("retiredAt is null or retiredAt > ?1 order by retiredAt nulls first, createdAt desc", retiredAfter);
    }
}
