package dev.meridian.user.service;

import dev.meridian.user.AuditEntry;
import dev.meridian.user.SigningKey;
import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.repository.AuditRepository;
import dev.meridian.user.repository.SigningKeyRepository;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The RSA keys that sign access tokens: created on first start, stored with the private half encrypted under the
 * master key (AES-256-GCM), rotated on demand. The public half of a retired key stays in the JWKS until every token
 * it signed has expired.
 */
@ApplicationScoped
public class SigningKeyService {

    private static final Logger LOG = Logger.getLogger(SigningKeyService.class);
    /** Serialises first-key creation across instances sharing one database. */
    private static final long KEY_INIT_LOCK = 0x4d4b4559L;

    private final SigningKeyRepository keys;
    private final AuditRepository audit;
    private final UserServiceConfig config;
    private final Vertx vertx;
    private final MasterKeyCipher cipher;
    private final SecureRandom random = new SecureRandom();
    private volatile Ring ring = Ring.EMPTY;
    private final AtomicLong loads = new AtomicLong();
    private long applied;

    record Ring(String signingKid, PrivateKey signingKey, Map<String, RSAPublicKey> published, String jwks) {
        static final Ring EMPTY = new Ring(null, null, Map.of(), "{\"keys\":[]}");
    }

    public SigningKeyService(SigningKeyRepository keys, AuditRepository audit, UserServiceConfig config, Vertx vertx,
                             MasterKeyCipher cipher) {
        this.keys = keys;
        this.audit = audit;
        this.config = config;
        this.vertx = vertx;
        this.cipher = cipher;
    }

    /** Creates the first key if there is none, then loads the published keys. */
    @WithTransaction
    public Uni<Void> initialise() {
        // the statement deadline is for requests: an instance starting beside another waits for its key, however long
        return Panache.getSession()
                .flatMap(session -> session.createNativeQuery("set local statement_timeout = 0").executeUpdate()
                        .flatMap(ignored -> session.createNativeQuery(
                                "select count(*) from (select pg_advisory_xact_lock(" + KEY_INIT_LOCK + ")) l", Long.class)
                                .getSingleResult()))
                .flatMap(ignored -> keys.count("retiredAt is null"))
                .flatMap(active -> active > 0 ? Uni.createFrom().voidItem() : createKey().replaceWithVoid())
                .flatMap(ignored -> reloadInSession());
    }

    /**
     * The keys are reloaded once the rotation has committed: reloaded inside its transaction, a scheduled refresh
     * reading the state before the commit could finish later and publish the old keys again (seen once in a build:
     * the JWKS right after a rotation without the new key).
     */
    public Uni<String> rotate(UUID actorId) {
        Instant now = Instant.now();
        return Panache.withTransaction(() -> keys.update("retiredAt = ?1 where retiredAt is null", now)
                        .flatMap(ignored -> createKey())
                        .call(key -> audit.persist(AuditEntry.of(actorId, "keys.rotate", null, "new kid " + key.kid))))
                .call(ignored -> Panache.withSession(this::reloadInSession))
                .map(key -> key.kid);
    }

    /** Picks up keys another instance created or rotated. */
    @WithSession
    public Uni<Void> reload() {
        return reloadInSession();
    }

    /**
     * Every {@code meridian.users.keys.refresh-interval}: a key rotated on another instance is published in this
     * instance's JWKS and signs its tokens within the interval, not only once one of its tokens arrives here.
     */
    @Scheduled(every = "${meridian.users.keys.refresh-interval:PT10S}",
            delayed = "${meridian.users.keys.refresh-interval:PT10S}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> refresh() {
        return Panache.withSession(this::reloadInSession)
                .onFailure().invoke(e -> LOG.debugf("signing keys not reloaded, the last ones stay in use: %s", e))
                .onFailure().recoverWithNull();
    }

    private Uni<Void> reloadInSession() {
        long load = loads.incrementAndGet();
        Instant retiredAfter = Instant.now().minus(config.jwt().accessTokenTtl()).minus(config.jwt().clockSkew());
        return keys.published(retiredAfter).map(this::toRing).invoke(r -> apply(load, r)).replaceWithVoid();
    }

    /** A load that started earlier than the one in use read older keys: it never replaces it. */
    private synchronized void apply(long load, Ring loaded) {
        if (load > applied) {
            applied = load;
            ring = loaded;
        }
    }

    private Uni<SigningKey> createKey() {
        return vertx.executeBlocking(Uni.createFrom().item(this::generate), false).flatMap(keys::persist);
    }

    private SigningKey generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(config.keys().rsaBits(), random);
            KeyPair pair = generator.generateKeyPair();
            RsaJsonWebKey jwk = new RsaJsonWebKey((RSAPublicKey) pair.getPublic());
            SigningKey key = new SigningKey();
            key.kid = jwk.calculateBase64urlEncodedThumbprint("SHA-256");
            key.publicKey = pair.getPublic().getEncoded();
            key.privateKeyEncrypted = cipher.encrypt(pair.getPrivate().getEncoded());
            key.createdAt = Instant.now();
            return key;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a signing key", e);
        }
    }

    private Ring toRing(List<SigningKey> published) {
        Map<String, RSAPublicKey> publicKeys = new LinkedHashMap<>();
        List<JsonWebKey> jwks = new ArrayList<>();
        String signingKid = null;
        PrivateKey signingKey = null;
        try {
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            for (SigningKey key : published) {
                RSAPublicKey publicKey = (RSAPublicKey) rsa.generatePublic(new X509EncodedKeySpec(key.publicKey));
                publicKeys.put(key.kid, publicKey);
                RsaJsonWebKey jwk = new RsaJsonWebKey(publicKey);
                jwk.setKeyId(key.kid);
                jwk.setUse("sig");
                jwk.setAlgorithm("RS256");
                jwks.add(jwk);
                if (key.retiredAt == null && signingKid == null) {
                    signingKid = key.kid;
                    signingKey = rsa.generatePrivate(new PKCS8EncodedKeySpec(cipher.decrypt(key.privateKeyEncrypted)));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the stored signing keys: is meridian.users.keys.master-key"
                    + " the one they were created with?", e);
        }
        return new Ring(signingKid, signingKey, Map.copyOf(publicKeys),
                new JsonWebKeySet(jwks).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
    }

    public String jwks() {
        return ring.jwks();
    }

    public Optional<RSAPublicKey> publicKey(String kid) {
        return Optional.ofNullable(kid == null ? null : ring.published().get(kid));
    }

    public String sign(JwtClaimsBuilder claims) {
        Ring current = ring;
        if (current.signingKey() == null) {
            throw new IllegalStateException("no signing key loaded");
        }
        return claims.jws().keyId(current.signingKid()).algorithm(SignatureAlgorithm.RS256).sign(current.signingKey());
    }
}
