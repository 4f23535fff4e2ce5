package dev.meridian.inference.service;

import org.eclipse.microprofile.jwt.JsonWebToken;

import java.util.UUID;

/** Who is calling, from a verified access token: the owner of what they create; admins see everyone's. */
public record Caller(UUID userId, boolean admin, String tier) {

    public static Caller of(JsonWebToken token) {
        String tier = token.getClaim("tier");
        return new Caller(UUID.fromString(token.getSubject()), token.getGroups().contains("admin"),
                tier == null ? "free" : tier);
    }

    public boolean mayRead(UUID owner) {
        return admin || userId.equals(owner);
    }

    /** Whose resources a call addresses: the caller's own unless an admin names another user. */
    public UUID owner(String requested) {
        if (requested == null) {
            return userId;
        }
        UUID owner;
        try {
            owner = UUID.fromString(requested);
        } catch (IllegalArgumentException e) {
            throw InferenceException.invalid("owner", "invalid_value", "'owner' must be a user id");
        }
        if (!admin && !owner.equals(userId)) {
            throw new InferenceException(403, "invalid_request_error", "forbidden", "owner",
                    "only admins may address another user's resources", null);
        }
        return owner;
    }
}
