package dev.meridian.user;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Plan tier, carried in the access token; the gateway derives rate limits from it. */
public enum Tier {
    @JsonProperty("free") FREE,
    @JsonProperty("pro") PRO;

    public String wireName() {
        return name().toLowerCase();
    }
}
