package dev.reservoir.operator.runtime;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/**
 * JOSDK's metrics hook on Quarkus's Micrometer registry (served at /q/metrics): reconciles, their
 * errors and duration. Tags stay low-cardinality (no pool names): per-pool detail is in the status.
 */
@ApplicationScoped
public class ReconcileMetrics implements Metrics {
    private final MeterRegistry registry;
    private final Counter reconciles;
    private final Counter errors;
    private final Timer duration;

    public ReconcileMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.reconciles = Counter.builder("reservoir.operator.reconciles").description("Reconciles started").register(registry);
        this.errors = Counter.builder("reservoir.operator.reconcile.errors").description("Reconciles that threw").register(registry);
        this.duration = Timer.builder("reservoir.operator.reconcile.duration").description("Time spent in reconcile")
                .publishPercentileHistogram().register(registry);
    }

    @Override
    public void reconciliationStarted(HasMetadata resource, Map<String, Object> metadata) {
        reconciles.increment();
    }

    @Override
    public void reconciliationFailed(HasMetadata resource, RetryInfo retryInfo, Exception exception, Map<String, Object> metadata) {
        errors.increment();
    }

    @Override
    public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
        long start = System.nanoTime();
        try {
            return execution.execute();
        } finally {
            duration.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /** Pod operations by kind (create, drain, delete) and Kubernetes writes, for the dashboards and the benchmark. */
    public void podAction(String action) {
        registry.counter("reservoir.operator.pod.actions", "action", action).increment();
    }

    public void apiWrite(String kind) {
        registry.counter("reservoir.operator.api.writes", "kind", kind).increment();
    }
}
