package dev.reservoir.worker.memory;

import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Leak detection of a {@link MemoryPool}: records where leases were taken (as much as the
 * {@link LeakDetection} level asks for) and reports leases that were never released.
 *
 * <p>A leak is found by whoever ends a lease the holder forgot: a {@link LeaseScope} closing, or the pool
 * closing. Finding it costs nothing on the hot path; only where it was taken does, a stack trace per
 * recorded lease, which is why {@link LeakDetection#SAMPLED} records one lease in
 * {@value MemoryPool#SAMPLE_ONE_IN} and {@link LeakDetection#OFF} none.
 *
 * <p>What guards what: {@code listeners} is copy-on-write (added to at any time, iterated by reporters on
 * any thread); {@code leaks} is a {@link LongAdder}.
 */
final class LeakTracker {
    private static final System.Logger LOG = System.getLogger(MemoryPool.class.getName());

    private final LongAdder leaks = new LongAdder();
    private final CopyOnWriteArrayList<Consumer<LeakReport>> listeners = new CopyOnWriteArrayList<>();

    /**
     * Where block {@code index} is being leased, if this lease is one to record under {@code detection};
     * null otherwise. Static, with the level passed in, so the lease path loads nothing more for it.
     */
    static Throwable maybeTrace(LeakDetection detection, int index) {
        if (detection == LeakDetection.PARANOID || ThreadLocalRandom.current().nextInt(MemoryPool.SAMPLE_ONE_IN) == 0) {
            return new LeaseTrace(index);
        }
        return null;
    }

    void onLeak(Consumer<LeakReport> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Counts the leak and hands it to every listener, or logs it as a warning when there is none. */
    void report(LeakReport report) {
        leaks.increment();
        if (report.whereTaken() != null) {
            report.whereTaken().getStackTrace(); // trims the pool's own frames before anyone prints it
        }
        if (listeners.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, report.describe(), report.whereTaken());
            return;
        }
        for (Consumer<LeakReport> listener : listeners) {
            try {
                listener.accept(report);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "memory pool leak listener failed", e);
            }
        }
    }

    long leaks() {
        return leaks.sum();
    }

    /**
     * Where a lease was taken: the stack of the lease call and the leasing thread's name. Only the raw
     * backtrace is captured at lease time (the cheap part); frames are materialised, and the pool's own
     * frames dropped, only if the lease is ever reported as a leak.
     */
    static final class LeaseTrace extends Throwable {
        /** The classes whose frames sit between the caller's lease call and this trace's construction. */
        private static final Set<String> POOL_CLASSES = Set.of(MemoryPool.class.getName(), LeaseScope.class.getName(),
                LeakTracker.class.getName());

        /** Set once the frames are trimmed; written under this. */
        private volatile boolean trimmed;

        LeaseTrace(int index) {
            super("memory block " + index + " leased here by thread '" + Thread.currentThread().getName() + "'");
        }

        @Override
        public StackTraceElement[] getStackTrace() {
            if (!trimmed) {
                synchronized (this) {
                    if (!trimmed) {
                        StackTraceElement[] stack = super.getStackTrace();
                        int first = 0;
                        while (first < stack.length - 1 && POOL_CLASSES.contains(stack[first].getClassName())) {
                            first++;
                        }
                        setStackTrace(Arrays.copyOfRange(stack, first, stack.length));
                        trimmed = true;
                    }
                }
            }
            return super.getStackTrace();
        }
    }
}
