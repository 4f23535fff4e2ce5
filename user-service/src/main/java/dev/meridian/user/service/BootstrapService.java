package dev.meridian.user.service;

import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.repository.UserRepository;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/** At start: make sure a signing key exists, and create the first admin from config if there is no admin yet. */
@ApplicationScoped
public class BootstrapService {

    private static final Logger LOG = Logger.getLogger(BootstrapService.class);

    private final SigningKeyService keys;
    private final AccountService accounts;
    private final UserRepository users;
    private final UserServiceConfig.BootstrapAdmin admin;

    public BootstrapService(SigningKeyService keys, AccountService accounts, UserRepository users,
                            UserServiceConfig config) {
        this.keys = keys;
        this.accounts = accounts;
        this.users = users;
        this.admin = config.bootstrapAdmin();
    }

    void onStart(@Observes StartupEvent event) throws Throwable {
        VertxContextSupport.subscribeAndAwait(keys::initialise);
        if (admin.email().isEmpty() || admin.password().isEmpty()) {
            return;
        }
        String email = admin.email().get();
        VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(users::countAdmins).flatMap(admins -> {
            if (admins > 0) {
                return io.smallrye.mutiny.Uni.createFrom().voidItem();
            }
            return accounts.signUp(email, admin.password().get(), "Administrator", true)
                    .invoke(user -> LOG.infof("created the first admin account %s", user.id))
                    .onFailure(ServiceException.class).invoke(e -> LOG.errorf(
                            "could not create the first admin from meridian.users.bootstrap-admin: %s", e.getMessage()))
                    .onFailure(ServiceException.class).recoverWithNull()
                    .replaceWithVoid();
        }));
    }
}
