package dev.meridian.user.webhook.service;

import dev.meridian.user.service.MasterKeyCipher;
import dev.meridian.user.service.ServiceException;
import dev.meridian.user.webhook.WebhookDelivery;
import dev.meridian.user.webhook.WebhookEndpoint;
import dev.meridian.user.webhook.WebhookEventType;
import dev.meridian.user.webhook.config.WebhookConfig;
import dev.meridian.user.webhook.repository.WebhookDeliveryRepository;
import dev.meridian.user.webhook.repository.WebhookEndpointRepository;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** A user's webhook endpoints: create, change, rotate the secret, delete; their delivery log and replays. */
@ApplicationScoped
public class WebhookService {

    static final int MAX_DESCRIPTION = 256;
    private static final Duration RESOLVE_DEADLINE = Duration.ofSeconds(5);

    private final WebhookEndpointRepository endpoints;
    private final WebhookDeliveryRepository deliveries;
    private final TargetGuard guard;
    private final WebhookConfig config;
    private final MasterKeyCipher cipher;

    /** Who asks: their id, whether they are an admin. */
    public record Owner(UUID userId, boolean admin) {
    }

    /** A change; null fields stay as they are. */
    public record Changes(String url, List<String> eventTypes, String description, Boolean enabled) {
    }

    public record Created(WebhookEndpoint endpoint, String secret) {
    }

    public WebhookService(WebhookEndpointRepository endpoints, WebhookDeliveryRepository deliveries, TargetGuard guard,
                          WebhookConfig config, MasterKeyCipher cipher) {
        this.endpoints = endpoints;
        this.deliveries = deliveries;
        this.guard = guard;
        this.config = config;
        this.cipher = cipher;
    }

    public Uni<Created> create(Owner owner, String scope, Changes request) {
        String checkedScope = scope == null ? WebhookEndpoint.SCOPE_USER : scope;
        if (!checkedScope.equals(WebhookEndpoint.SCOPE_USER) && !checkedScope.equals(WebhookEndpoint.SCOPE_PLATFORM)) {
            return Uni.createFrom().failure(invalid("scope must be user or platform", "scope"));
        }
        if (checkedScope.equals(WebhookEndpoint.SCOPE_PLATFORM) && !owner.admin()) {
            return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.FORBIDDEN,
                    "only admins may subscribe to platform-wide events"));
        }
        String types = eventTypes(request.eventTypes(), checkedScope);
        String description = description(request.description());
        return checkedTarget(request.url()).flatMap(url -> insert(owner, checkedScope, url, types, description,
                request.enabled() == null || request.enabled()));
    }

    @WithTransaction
    Uni<Created> insert(Owner owner, String scope, String url, String types, String description, boolean enabled) {
        return endpoints.countOf(owner.userId()).flatMap(count -> {
            if (count >= config.maxEndpointsPerUser()) {
                return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.CONFLICT,
                        "you have " + count + " webhooks, the most one account may have; delete one first"));
            }
            Instant now = Instant.now();
            WebhookEndpoint endpoint = new WebhookEndpoint();
            endpoint.id = UUID.randomUUID();
            endpoint.userId = owner.userId();
            endpoint.scope = scope;
            endpoint.url = url;
            endpoint.eventTypes = types;
            endpoint.description = description;
            endpoint.enabled = enabled;
            String secret = WebhookSignature.newSecret();
            endpoint.secret = cipher.seal(secret);
            endpoint.createdAt = now;
            endpoint.updatedAt = now;
            return endpoints.persist(endpoint).map(saved -> new Created(saved, secret));
        });
    }

    @WithSession
    public Uni<List<WebhookEndpoint>> list(Owner owner) {
        return endpoints.listOf(owner.userId());
    }

    @WithSession
    public Uni<WebhookEndpoint> get(Owner owner, UUID id) {
        return owned(owner, id);
    }

    public Uni<WebhookEndpoint> update(Owner owner, UUID id, Changes changes) {
        Uni<String> url = changes.url() == null ? Uni.createFrom().nullItem() : checkedTarget(changes.url());
        String description = changes.description() == null ? null : description(changes.description());
        return url.flatMap(checkedUrl -> apply(owner, id, checkedUrl, changes.eventTypes(), description,
                changes.enabled()));
    }

    @WithTransaction
    Uni<WebhookEndpoint> apply(Owner owner, UUID id, String url, List<String> eventTypes, String description,
                               Boolean enabled) {
        return owned(owner, id).map(endpoint -> {
            if (eventTypes != null) {
                endpoint.eventTypes = eventTypes(eventTypes, endpoint.scope);
            }
            if (url != null) {
                endpoint.url = url;
            }
            if (description != null) {
                endpoint.description = description;
            }
            if (enabled != null) {
                endpoint.enabled = enabled;
                if (enabled) {
                    // switched on again: waiting deliveries go out, the failure clock starts over
                    endpoint.disabledReason = null;
                    endpoint.disabledAt = null;
                    endpoint.failingSince = null;
                }
            }
            endpoint.updatedAt = Instant.now();
            return endpoint;
        });
    }

    /** A new secret; the previous one keeps signing too for the configured overlap. */
    @WithTransaction
    public Uni<Created> rotateSecret(Owner owner, UUID id) {
        return owned(owner, id).map(endpoint -> {
            Instant now = Instant.now();
            String secret = WebhookSignature.newSecret();
            endpoint.previousSecret = endpoint.secret;
            endpoint.previousSecretUntil = now.plus(config.secretOverlap());
            endpoint.secret = cipher.seal(secret);
            endpoint.updatedAt = now;
            return new Created(endpoint, secret);
        });
    }

    /** The endpoint and its delivery log go together. */
    @WithTransaction
    public Uni<Void> delete(Owner owner, UUID id) {
        return owned(owner, id).flatMap(endpoints::delete);
    }

    public Uni<List<WebhookDelivery>> deliveries(Owner owner, UUID id, Long before, String status, int limit) {
        if (status != null && !List.of(WebhookDelivery.PENDING, WebhookDelivery.DELIVERED, WebhookDelivery.FAILED)
                .contains(status)) {
            return Uni.createFrom().failure(invalid("status must be pending, delivered or failed", "status"));
        }
        return get(owner, id).flatMap(endpoint -> deliveries.page(endpoint.id, before, status, limit));
    }

    /** Sends a delivery again (same webhook-id and body), after the endpoint's other waiting deliveries. */
    public Uni<Long> replay(Owner owner, UUID id, long deliveryId) {
        return get(owner, id).flatMap(endpoint -> deliveries.replay(endpoint.id, deliveryId))
                .onItem().ifNull().failWith(() -> ServiceException.notFound("delivery"));
    }

    /** Another user's endpoint answers exactly like a missing one. */
    private Uni<WebhookEndpoint> owned(Owner owner, UUID id) {
        return endpoints.findOwned(id, owner.userId())
                .onItem().ifNull().failWith(() -> ServiceException.notFound("webhook"));
    }

    /** The URL's form, then every address its host resolves to (DNS, off the event loop, with a deadline). */
    private Uni<String> checkedTarget(String url) {
        URI uri;
        try {
            uri = guard.parse(url);
        } catch (ServiceException e) {
            return Uni.createFrom().failure(e);
        }
        return guard.resolve(uri)
                .onFailure(TargetGuard.TargetRefusedException.class).transform(e -> invalid(e.getMessage(), "url"))
                .replaceWith(uri.toString())
                .ifNoItem().after(RESOLVE_DEADLINE).failWith(() -> invalid("the url's host did not resolve in time",
                        "url"));
    }

    private static String eventTypes(List<String> names, String scope) {
        if (names == null || names.isEmpty() || names.size() > WebhookEventType.values().length) {
            throw invalid("eventTypes must list 1 to " + WebhookEventType.values().length + " event types",
                    "eventTypes");
        }
        Set<String> checked = new LinkedHashSet<>();
        for (String name : names) {
            WebhookEventType type = WebhookEventType.named(name).orElseThrow(() -> invalid("unknown event type '"
                    + name + "'; GET /v1/webhooks/event-types lists them", "eventTypes"));
            if (type.platformOnly() && !scope.equals(WebhookEndpoint.SCOPE_PLATFORM)) {
                throw invalid(name + " is a platform-wide event: subscribe with scope platform (admins)", "eventTypes");
            }
            checked.add(type.typeName());
        }
        return String.join(" ", checked);
    }

    private static String description(String description) {
        String text = description == null ? "" : description.strip();
        if (text.length() > MAX_DESCRIPTION) {
            throw invalid("description may have at most " + MAX_DESCRIPTION + " characters", "description");
        }
        return text;
    }

    private static ServiceException invalid(String detail, String field) {
        return new ServiceException(ServiceException.Kind.INVALID, detail, field);
    }
}
