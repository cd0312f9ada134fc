package dev.reservoir.operator.runtime;

import io.javaoperatorsdk.operator.Operator;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the operator started and its informers are healthy (the CRD is installed, RBAC lets it
 * watch). A replica waiting for the leader Lease is ready too: it is healthy, just not leading.
 * Liveness ({@link InformerLiveness}) fails only when the informers stay unhealthy for minutes, so a missing
 * CRD is seen at once here and restarts the pod only after that, under the kubelet's back-off.
 */
@Readiness
@ApplicationScoped
public class OperatorHealth implements HealthCheck {
    private final OperatorRunner runner;

    public OperatorHealth(OperatorRunner runner) {
        this.runner = runner;
    }

    @Override
    public HealthCheckResponse call() {
        Operator op = runner.operator();
        if (op == null) {
            return HealthCheckResponse.named("operator").down().withData("reason", "not started").build();
        }
        var info = op.getRuntimeInfo();
        boolean healthy = info.isStarted() && info.allEventSourcesAreHealthy();
        var builder = HealthCheckResponse.named("operator").status(healthy).withData("started", info.isStarted());
        if (!info.allEventSourcesAreHealthy()) {
            builder.withData("unhealthy", info.unhealthyEventSources().toString());
        }
        return builder.build();
    }
}
