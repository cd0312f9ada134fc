package dev.reservoir.operator.runtime;

import dev.reservoir.operator.config.OperatorConfig;
import io.javaoperatorsdk.operator.Operator;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Live unless the operator's informers have been unhealthy for longer than
 * {@code reservoir.operator.unhealthy-informer-restart}: an operator that stopped watching reconciles
 * nothing while looking alive, so the kubelet restarts it (and its back-off keeps a missing CRD from
 * becoming a tight loop). Readiness ({@link OperatorHealth}) reports the same informers at once.
 */
@Liveness
@ApplicationScoped
public class InformerLiveness implements HealthCheck {
    private final OperatorRunner runner;
    private final Window window;

    public InformerLiveness(OperatorRunner runner, OperatorConfig config) {
        this.runner = runner;
        this.window = new Window(config.unhealthyInformerRestart(), System::nanoTime);
    }

    @Override
    public HealthCheckResponse call() {
        Operator op = runner.operator();
        boolean healthy = op == null || !op.getRuntimeInfo().isStarted() || op.getRuntimeInfo().allEventSourcesAreHealthy();
        Duration unhealthyFor = window.observe(healthy);
        boolean live = unhealthyFor.compareTo(window.limit()) <= 0;
        var builder = HealthCheckResponse.named("informers").status(live);
        if (!healthy) {
            builder.withData("unhealthyForSeconds", unhealthyFor.toSeconds()).withData("unhealthy",
                    op.getRuntimeInfo().unhealthyEventSources().toString());
        }
        return builder.build();
    }

    /** How long a condition has been bad, from the first bad observation since the last good one. Thread-safe. */
    static final class Window {
        private final Duration limit;
        private final LongSupplier nanoClock;
        /** When the current bad stretch began (nanoClock), or Long.MIN_VALUE while good. Guarded by this. */
        private long badSince = Long.MIN_VALUE;

        Window(Duration limit, LongSupplier nanoClock) {
            this.limit = limit;
            this.nanoClock = nanoClock;
        }

        synchronized Duration observe(boolean good) {
            long now = nanoClock.getAsLong();
            if (good) {
                badSince = Long.MIN_VALUE;
                return Duration.ZERO;
            }
            if (badSince == Long.MIN_VALUE) {
                badSince = now;
            }
            return Duration.ofNanos(now - badSince);
        }

        Duration limit() {
            return limit;
        }
    }
}
