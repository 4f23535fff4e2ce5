package dev.meridian.user.rest;

import dev.meridian.events.user.UserStatus;
import dev.meridian.user.rest.UserDtos.UserView;

import java.util.List;
import java.util.UUID;

/** Bodies of /v1/admin/users. Unknown request fields are rejected (400 naming the field). */
public final class AdminUserDtos {

    private AdminUserDtos() {
    }

    public record UserPage(List<UserView> items, UUID nextCursor) {
    }

    public record AdminUserPatch(List<String> roles, String tier, UserStatus status) {
    }
}
