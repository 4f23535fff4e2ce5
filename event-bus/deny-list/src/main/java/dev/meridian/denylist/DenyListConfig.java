package dev.meridian.denylist;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

@ConfigMapping(prefix = "meridian.deny-list")
public interface DenyListConfig {

    /** The longest a request waits for the deny-list; past it the verdict is {@link DenyList.Verdict#UNKNOWN}. */
    @WithDefault("PT0.25S")
    Duration readTimeout();
}
