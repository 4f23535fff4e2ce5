package dev.meridian.denylist;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

@ConfigMapping(prefix = "meridian.deny-list")
public interface DenyListConfig {

    /**
     * The longest a request waits for the deny-list while Redis answers its health pings; past it the verdict is
     * {@link DenyList.Verdict#UNKNOWN}. A Redis that stops answering ends the wait within about 0.6 s anyway.
     */
    @WithDefault("PT0.75S")
    Duration readTimeout();
}
