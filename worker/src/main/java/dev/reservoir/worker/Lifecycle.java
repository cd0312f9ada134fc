package dev.reservoir.worker;

import dev.reservoir.protocol.WorkerState;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * A worker's lifecycle state, which only moves forward, and its first fatal error.
 *
 * <pre>
 * STARTING ──fetcher reached Redis──▶ RUNNING ──drain──▶ DRAINING ──rooms stopped──▶ STOPPED
 *     └─────────────drain during start-up──────────────────▲
 * </pre>
 * Every move is a compare-and-set to a later state, as {@code ThreadPoolExecutor}'s {@code runState}:
 * a move to the current or an earlier state is refused. So the fetcher's STARTING → RUNNING, made when
 * it reaches Redis, cannot undo a drain that began meanwhile: it is refused and the fetcher stops
 * claiming.
 *
 * <p>The fatal error is kept apart from the state: a Throwable that one of the worker's own threads did
 * not handle (see {@link FatalErrorPolicy}). Once one is recorded the worker is neither live nor ready
 * and claims nothing more, whatever its state; the drain still moves it to STOPPED.
 */
final class Lifecycle {
    private static final Logger LOG = Logger.getLogger(Lifecycle.class.getName());

    /** Replaced only by a later state, by compare-and-set ({@link #advanceTo}). */
    private final AtomicReference<WorkerState> state = new AtomicReference<>(WorkerState.STARTING);
    /** Null until the first fatal error; set once, by compare-and-set ({@link #recordFatal}). */
    private final AtomicReference<Throwable> fatalError = new AtomicReference<>();

    WorkerState state() {
        return state.get();
    }

    /**
     * Moves to {@code target} if the state is earlier than it.
     *
     * @return true if this call moved the state; false if it already was {@code target} or later
     */
    boolean advanceTo(WorkerState target) {
        while (true) {
            WorkerState current = state.get();
            if (current.compareTo(target) >= 0) {
                return false;
            }
            if (state.compareAndSet(current, target)) {
                LOG.fine("state " + current + " -> " + target);
                return true;
            }
        }
    }

    /** Whether the fetcher may claim: STARTING or RUNNING, and no fatal error. */
    boolean claiming() {
        WorkerState current = state.get();
        return (current == WorkerState.STARTING || current == WorkerState.RUNNING) && fatalError.get() == null;
    }

    /** Records {@code error} if it is the first fatal error; returns whether it was. */
    boolean recordFatal(Throwable error) {
        return fatalError.compareAndSet(null, error);
    }

    /** The first fatal error, or null. */
    Throwable fatalError() {
        return fatalError.get();
    }
}
