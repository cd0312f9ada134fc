package dev.reservoir.client;

import dev.reservoir.spec.Dispatch;
import java.time.Duration;
import java.util.Objects;

/**
 * Per-pool client settings.
 *
 * @param dispatch        routing of the pool; must match the pool's {@code spec.dispatch}
 * @param maxPending      tasks this handle may have submitted and not yet answered; {@code submit}
 *                        blocks beyond it (back-pressure instead of filling memory and Redis)
 * @param maxPendingBytes payload bytes this handle may have submitted and not yet answered, the
 *                        client holding each payload until its outcome; {@code submit} blocks beyond
 *                        it. A payload larger than the whole bound is admitted alone, once nothing
 *                        else of the handle is outstanding. At most {@link Integer#MAX_VALUE}.
 * @param applyTimeout    how long {@link Pool#apply(String, byte[])} waits by default
 * @param outcomeDeadline how long after submission a future of {@code submit}, {@code map} or
 *                        {@code imap} waits for its outcome; then the client looks for a stored outcome
 *                        ({@link Pool#get(String)}) and completes the future with it, or fails it with
 *                        {@link TaskOutcomeUnknownException}. It bounds how long a lost outcome (Redis
 *                        restarted without persistence, a failover, an evicted reply stream) holds a
 *                        future and its permits; it must cover queueing plus run time
 * @param taskTimeout     run timeout sent with each task (ZERO: the worker's default)
 */
public record PoolOptions(Dispatch dispatch, int maxPending, long maxPendingBytes, Duration applyTimeout, Duration outcomeDeadline,
                          Duration taskTimeout) {

    /** {@link #maxPending()} by default: enough for any pipeline, small enough that a handle's bookkeeping stays small. */
    public static final int DEFAULT_MAX_PENDING = 100_000;
    /** {@link #maxPendingBytes()} by default: 64 MiB of payloads held by the client per pool handle. */
    public static final long DEFAULT_MAX_PENDING_BYTES = 64L << 20;
    /** {@link #applyTimeout()} by default. */
    public static final Duration DEFAULT_APPLY_TIMEOUT = Duration.ofSeconds(60);
    /**
     * {@link #outcomeDeadline()} by default: far above a normal task's queueing and run time, so only
     * a lost outcome reaches it, and short enough that a lost one frees its permits within minutes.
     */
    public static final Duration DEFAULT_OUTCOME_DEADLINE = Duration.ofMinutes(10);

    public PoolOptions {
        Objects.requireNonNull(dispatch, "dispatch");
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending: must be at least 1, got " + maxPending);
        }
        if (maxPendingBytes < 1 || maxPendingBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxPendingBytes: must be between 1 and " + Integer.MAX_VALUE + " (2 GiB - 1), got "
                    + maxPendingBytes);
        }
        if (applyTimeout.isNegative() || applyTimeout.isZero()) {
            throw new IllegalArgumentException("applyTimeout: must be positive, got " + applyTimeout);
        }
        if (outcomeDeadline.isNegative() || outcomeDeadline.isZero()) {
            throw new IllegalArgumentException("outcomeDeadline: must be positive, got " + outcomeDeadline);
        }
        if (taskTimeout.isNegative()) {
            throw new IllegalArgumentException("taskTimeout: must not be negative, got " + taskTimeout);
        }
    }

    public static PoolOptions defaults() {
        return new PoolOptions(Dispatch.SharedQueue, DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_BYTES, DEFAULT_APPLY_TIMEOUT,
                DEFAULT_OUTCOME_DEADLINE, Duration.ZERO);
    }

    public PoolOptions withDispatch(Dispatch d) {
        return new PoolOptions(d, maxPending, maxPendingBytes, applyTimeout, outcomeDeadline, taskTimeout);
    }

    public PoolOptions withMaxPending(int n) {
        return new PoolOptions(dispatch, n, maxPendingBytes, applyTimeout, outcomeDeadline, taskTimeout);
    }

    public PoolOptions withMaxPendingBytes(long n) {
        return new PoolOptions(dispatch, maxPending, n, applyTimeout, outcomeDeadline, taskTimeout);
    }

    public PoolOptions withApplyTimeout(Duration d) {
        return new PoolOptions(dispatch, maxPending, maxPendingBytes, d, outcomeDeadline, taskTimeout);
    }

    public PoolOptions withOutcomeDeadline(Duration d) {
        return new PoolOptions(dispatch, maxPending, maxPendingBytes, applyTimeout, d, taskTimeout);
    }

    public PoolOptions withTaskTimeout(Duration d) {
        return new PoolOptions(dispatch, maxPending, maxPendingBytes, applyTimeout, outcomeDeadline, d);
    }
}
