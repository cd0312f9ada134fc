package dev.reservoir.worker.memory;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Back-pressure of a {@link MemoryPool}: leases that found nothing free at {@code maxBlocks} wait here,
 * each for at most its own bound, and releases wake them.
 *
 * <h2>No lost wake-up</h2>
 * {@code waiters} is written under {@code waitLock} and read by releasers without it (volatile). A
 * releaser reads it after the CAS that took a stripe lock to push its block; a waiter raises it before
 * it takes every stripe lock in turn ({@link MemoryPool#takeOrGrow()}). So either the releaser sees the
 * waiter and signals, or the waiter's scan sees the block. The releaser's fast path, with nobody waiting,
 * is that one volatile read.
 *
 * <h2>Not fair</h2>
 * A lease on the fast path may take a block a waiter was signalled for; the waiter then waits again
 * within its bound.
 *
 * <h2>What guards what</h2>
 * {@code waiters}: {@code waitLock} for writes. {@code waits}, {@code timeouts}: {@link LongAdder}s (rare,
 * from any thread).
 */
final class LeaseWaiters {
    /** Beyond this a wait is unbounded ({@link Duration#toNanos()} overflows past ~292 years). */
    private static final Duration UNBOUNDED = Duration.ofDays(365);

    private final ReentrantLock waitLock = new ReentrantLock();
    private final Condition blockFreed = waitLock.newCondition();
    /** Leases waiting on blockFreed; written under waitLock. */
    private volatile int waiters;
    private final LongAdder waits = new LongAdder();
    private final LongAdder timeouts = new LongAdder();

    /**
     * Waits up to {@code maxWait} for {@code pool.takeOrGrow()} to give a block.
     *
     * @throws MemoryPoolExhaustedException if none came within {@code maxWait}
     * @throws IllegalStateException        if the pool is or becomes closed
     */
    Block await(MemoryPool pool, Duration maxWait) throws MemoryPoolExhaustedException, InterruptedException {
        waits.increment();
        long nanos = maxWait.compareTo(UNBOUNDED) > 0 ? Long.MAX_VALUE : maxWait.toNanos();
        waitLock.lockInterruptibly();
        try {
            waiters++;
            try {
                for (;;) {
                    pool.ensureOpen();
                    Block b = pool.takeOrGrow(); // takes each stripe lock: sees any block pushed before waiters was raised
                    if (b != null) {
                        return b;
                    }
                    if (nanos <= 0L) {
                        timeouts.increment();
                        throw pool.exhausted(maxWait);
                    }
                    nanos = blockFreed.awaitNanos(nanos);
                }
            } finally {
                waiters--;
            }
        } finally {
            waitLock.unlock();
        }
    }

    /** Called by a releaser after its block is in a stripe. */
    void blockReleased() {
        if (waiters != 0) {
            signalOne();
        }
    }

    private void signalOne() {
        waitLock.lock();
        try {
            blockFreed.signal();
        } finally {
            waitLock.unlock();
        }
    }

    /** The pool closed: every waiter wakes, sees it, and fails. */
    void wakeAll() {
        waitLock.lock();
        try {
            blockFreed.signalAll();
        } finally {
            waitLock.unlock();
        }
    }

    long waits() {
        return waits.sum();
    }

    long timeouts() {
        return timeouts.sum();
    }
}
