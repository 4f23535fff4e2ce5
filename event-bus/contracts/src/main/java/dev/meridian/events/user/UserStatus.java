package dev.meridian.events.user;

import com.fasterxml.jackson.annotation.JsonProperty;

public enum UserStatus {
    @JsonProperty("active") ACTIVE,
    @JsonProperty("disabled") DISABLED,
    @JsonProperty("erased") ERASED
}
