package dev.meridian.user.webhook.service;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a failed delivery goes again: timeouts, connection errors, 408, 425, 429 and 5xx are retried with exponential
 * backoff and jitter (a receiver's Retry-After wins, up to the maximum backoff) until the delivery is older than the
 * retry period; any other answer (a 3xx we do not follow, a 4xx) is final.
 */
public final class RetryPolicy {

    private final Duration initial;
    private final Duration max;
    private final Duration retryFor;

    public RetryPolicy(Duration initial, Duration max, Duration retryFor) {
        this.initial = initial;
        this.max = max;
        this.retryFor = retryFor;
    }

    public static boolean retryable(int status) {
        return status == 0 || status == 408 || status == 425 || status == 429 || status >= 500;
    }

    /** The next attempt after {@code attempts} failed ones, or empty when the delivery gives up. */
    public Optional<Instant> next(int attempts, int status, String retryAfter, Instant createdAt, Instant now) {
        if (!retryable(status) || !now.isBefore(createdAt.plus(retryFor))) {
            return Optional.empty();
        }
        Duration wait = retryAfter(retryAfter, now).orElseGet(() -> backoff(attempts));
        return Optional.of(now.plus(wait.compareTo(max) > 0 ? max : wait));
    }

    Duration backoff(int attempts) {
        long base = initial.toMillis() << Math.min(Math.max(attempts - 1, 0), 30);
        long capped = Math.min(base, max.toMillis());
        double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
        return Duration.ofMillis((long) (capped * jitter));
    }

    /** Retry-After as seconds or an HTTP date (RFC 9110); nonsense is ignored. */
    static Optional<Duration> retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String value = header.strip();
        try {
            long seconds = Long.parseLong(value);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }
}
