package dev.meridian.inference.model.health;

import dev.meridian.inference.model.ModelRegistry;
import dev.meridian.inference.model.ModelVersion;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** DOWN until every model version has loaded and run its warm-up batch at the largest shape. */
@Readiness
@ApplicationScoped
public class ModelsReadinessCheck implements HealthCheck {

    private final ModelRegistry models;

    public ModelsReadinessCheck(ModelRegistry models) {
        this.models = models;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("Models warmed up").up();
        for (ModelVersion model : models.all()) {
            String state = model.batcher().ready() ? "ready"
                    : model.batcher().failure() != null ? "failed: " + model.batcher().failure() : "warming up";
            response.withData(model.qualifiedName(), state);
            if (!model.batcher().ready()) {
                response.down();
            }
        }
        return response.build();
    }
}
