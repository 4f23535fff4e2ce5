package dev.meridian.inference.usage.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Usage metering: the local journal every billable call is written to before it is answered, and its shipping. */
@ConfigMapping(prefix = "meridian.inference.usage")
public interface UsageConfig {

    /**
     * Where the journal's segments live. Instances on one host may share it: a segment whose writer died (its file
     * lock released) is shipped by whichever instance gets to it first.
     */
    @WithDefault("usage-journal")
    String journalDir();

    /** How often closed segments go to PostgreSQL; a call shows up in the report about this long after it. */
    @WithDefault("1s")
    Duration shipInterval();

    /** Records per INSERT when shipping. */
    @WithDefault("500")
    int shipBatch();

    /** Records waiting for the journal's writer; beyond it billable calls are refused with 503. */
    @WithDefault("10000")
    int maxPending();

    /**
     * Bytes of journal not yet in PostgreSQL (about 200 bytes a call); beyond it billable calls are refused with 503
     * until shipping catches up, so a long database outage fills a bounded disk, not an unbounded one.
     */
    @WithDefault("268435456")
    long maxBacklogBytes();
}
