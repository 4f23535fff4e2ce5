package dev.meridian.inference;

import dev.meridian.inference.model.ModelRegistry;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.callback.QuarkusTestAfterConstructCallback;

import java.time.Duration;

import static org.awaitility.Awaitility.await;

/**
 * Every test starts once all models are warm (what readiness waits for in production): the warm-ups run on their own
 * threads after start and would otherwise take this 2-core machine's CPU from whichever test comes first, whose
 * deadlines are then measured against a machine busy loading models.
 */
public class ModelsWarmBeforeTests implements QuarkusTestAfterConstructCallback {

    @Override
    public void afterConstruct(Object testInstance) {
        ModelRegistry models = Arc.container().instance(ModelRegistry.class).get();
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                .until(() -> models.all().stream().allMatch(version -> version.batcher().ready()));
    }
}
