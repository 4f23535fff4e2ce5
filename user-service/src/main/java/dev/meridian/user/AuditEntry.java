package dev.meridian.user;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

@Entity
@Table(name = "audit_log")
public class AuditEntry {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    public UUID actorId;

    public String action;

    public UUID targetUserId;

    public String details;

    public Instant createdAt;

    public static AuditEntry of(UUID actorId, String action, UUID targetUserId, String details) {
        AuditEntry entry = new AuditEntry();
        entry.actorId = actorId;
        entry.action = action;
        entry.targetUserId = targetUserId;
        entry.details = details;
        entry.createdAt = Instant.now();
        return entry;
    }
}
