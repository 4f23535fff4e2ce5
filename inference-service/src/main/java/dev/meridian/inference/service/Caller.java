package dev.meridian.inference.service;

import java.util.UUID;

/** Who is calling, from a verified access token: the owner of what they create; admins see everyone's. */
public record Caller(UUID userId, boolean admin, String tier) {

    public boolean mayRead(UUID owner) {
        return admin || userId.equals(owner);
    }
}
