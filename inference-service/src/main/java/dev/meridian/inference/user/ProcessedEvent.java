package dev.meridian.inference.user;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** An event id already applied, recorded with its effect so a redelivery is a no-op. */
@Entity
@Table(name = "processed_events")
public class ProcessedEvent {

    @Id
    public UUID eventId;

    public Instant processedAt;
}
