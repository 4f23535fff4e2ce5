package dev.meridian.inference.security;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** What every authenticated request checks besides the token's signature (see {@link TokenChecks}). */
@ConfigMapping(prefix = "meridian.identity")
public interface IdentityConfig {

    /**
     * The longest a request waits for the account status users.v1 left in PostgreSQL; past it the request goes on
     * without it (job and collection creation check the status again inside their transaction).
     */
    @WithDefault("PT0.25S")
    Duration statusReadTimeout();
}
