package dev.reservoir.local;

import dev.reservoir.local.LocalPool.State;
import java.util.concurrent.TimeUnit;

/**
 * The state of one {@link LocalPool}, which only moves forward, as {@code ThreadPoolExecutor}'s
 * {@code runState} does: STARTING → RUNNING → STOPPING → STOPPED, or STARTING → STOPPING for a pool
 * stopped before it was ready. Each transition is a compare-and-set under this object's monitor,
 * which also wakes the threads waiting for one ({@code awaitReady}, {@code awaitStopped}, a second
 * {@code close}).
 */
final class PoolLifecycle {
    /** Guarded by {@code this}; written only by the transitions below. */
    private State state = State.STARTING;
    /** Why the pool stopped on its own (its embedded Redis died, its supervisor failed), or null. Set once; guarded by {@code this}. */
    private LocalPoolException failure;

    synchronized State state() {
        return state;
    }

    /** STARTING or RUNNING: the supervisor keeps the pool. */
    synchronized boolean active() {
        return state.compareTo(State.STOPPING) < 0;
    }

    /** Moves {@code from} → {@code to} if the state is {@code from}; false when another transition came first. */
    synchronized boolean advance(State from, State to) {
        if (state != from || to.compareTo(from) <= 0) {
            return false;
        }
        state = to;
        notifyAll();
        return true;
    }

    /** STARTING or RUNNING → STOPPING; false when the pool is already stopping or stopped (someone else stops it). */
    synchronized boolean beginStopping() {
        return advance(State.STARTING, State.STOPPING) || advance(State.RUNNING, State.STOPPING);
    }

    /** STOPPING → STOPPED: every worker has exited and Redis is stopped. */
    synchronized void stopped() {
        advance(State.STOPPING, State.STOPPED);
    }

    synchronized void recordFailure(LocalPoolException why) {
        if (failure == null) {
            failure = why;
        }
    }

    synchronized LocalPoolException failure() {
        return failure;
    }

    /** Waits while the state is {@code state}, at most until {@code deadlineNanos} (System.nanoTime); returns the state then. */
    synchronized State awaitLeaving(State current, long deadlineNanos) throws InterruptedException {
        long left;
        while (state == current && (left = deadlineNanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return state;
    }

    synchronized void awaitStopped() throws InterruptedException {
        while (state != State.STOPPED) {
            wait();
        }
    }
}
