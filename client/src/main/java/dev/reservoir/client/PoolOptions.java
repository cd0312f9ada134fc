package dev.reservoir.client;

import dev.reservoir.spec.Dispatch;
import java.time.Duration;
import java.util.Objects;

/**
 * Per-pool client settings.
 *
 * @param dispatch       routing of the pool; must match the pool's {@code spec.dispatch}
 * @param maxPending     tasks this handle may have submitted and not yet answered; {@code submit}
 *                       blocks beyond it (back-pressure instead of filling memory and Redis)
 * @param applyTimeout   how long {@link Pool#apply(String, byte[])} waits by default
 * @param taskTimeout    run timeout sent with each task (ZERO: the worker's default)
 */
public record PoolOptions(Dispatch dispatch, int maxPending, Duration applyTimeout, Duration taskTimeout) {

    public PoolOptions {
        Objects.requireNonNull(dispatch, "dispatch");
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending: must be at least 1, got " + maxPending);
        }
        if (applyTimeout.isNegative() || applyTimeout.isZero()) {
            throw new IllegalArgumentException("applyTimeout: must be positive, got " + applyTimeout);
        }
        if (taskTimeout.isNegative()) {
            throw new IllegalArgumentException("taskTimeout: must not be negative, got " + taskTimeout);
        }
    }

    public static PoolOptions defaults() {
        return new PoolOptions(Dispatch.SharedQueue, 100_000, Duration.ofSeconds(60), Duration.ZERO);
    }

    public PoolOptions withDispatch(Dispatch d) {
        return new PoolOptions(d, maxPending, applyTimeout, taskTimeout);
    }

    public PoolOptions withMaxPending(int n) {
        return new PoolOptions(dispatch, n, applyTimeout, taskTimeout);
    }

    public PoolOptions withApplyTimeout(Duration d) {
        return new PoolOptions(dispatch, maxPending, d, taskTimeout);
    }

    public PoolOptions withTaskTimeout(Duration d) {
        return new PoolOptions(dispatch, maxPending, applyTimeout, d);
    }
}
