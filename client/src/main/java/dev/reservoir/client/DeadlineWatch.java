package dev.reservoir.client;

import dev.reservoir.protocol.TaskResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one thread per client that ends waits nobody else ends: every {@link #PERIOD} it sweeps the
 * registry for tasks past their deadline and {@linkplain TaskRegistry#expire expires} them (a stored
 * outcome completes the future, else {@link TaskOutcomeUnknownException}); and after the reply reader
 * has reconnected to Redis it looks up every waiting task once ({@link #checkAllSoon()}), completing
 * those whose outcome is stored although its reply never came (a reply stream lost with a restart, a
 * failover or an eviction). A task whose outcome is not stored is left to its deadline then: it may
 * still be queued.
 *
 * <p>A sweep instead of a timer per task: submitting adds nothing (the deadline is a field of the
 * task), and a sweep walks the registry's map without locking it. A deadline is acted on between one
 * and two {@link #PERIOD}s after it passes. Callers that block on one task ({@code apply},
 * {@code imap}'s {@code next()}) do not depend on this thread: they expire their task themselves at its
 * deadline, a {@code PERIOD} before this thread would.
 *
 * <p>Lookups go through {@code lookup} one task at a time (each one pipelined round trip). When one
 * fails (Redis unreachable), the rest of that sweep's overdue tasks fail without asking (the
 * exception says the outcome could not be checked), and a reconnect check is retried on the next sweep.
 *
 * <p>Lifecycle: RUNNING → ({@link #stop}) STOPPED.
 */
final class DeadlineWatch implements Runnable {
    private static final Logger LOG = Logger.getLogger(DeadlineWatch.class.getName());
    static final Duration PERIOD = Duration.ofMillis(500);

    private final TaskRegistry registry;
    /** The stored outcome of a task (null: none); throws when Redis cannot be asked. */
    private final Function<PendingTask, TaskResult> lookup;
    /** Set by the reply reader after a reconnect, cleared by the sweep that acts on it. */
    private final AtomicBoolean checkAllRequested = new AtomicBoolean();
    private final Thread thread;
    /** Set once by {@link #stop()}. */
    private volatile boolean stopping;

    DeadlineWatch(TaskRegistry registry, String clientName, Function<PendingTask, TaskResult> lookup) {
        this.registry = registry;
        this.lookup = lookup;
        this.thread = Thread.ofPlatform().daemon().name("reservoir-deadlines-" + clientName).unstarted(this);
    }

    void start() {
        thread.start();
    }

    /** Asks the next sweep to look up every waiting task (called after a reconnect to Redis). */
    void checkAllSoon() {
        checkAllRequested.set(true);
    }

    /** Expires one task on the caller's thread (a caller blocked on it whose deadline passed). */
    void expire(PendingTask task) {
        registry.expire(task, lookup);
    }

    @Override
    public void run() {
        List<PendingTask> due = new ArrayList<>();
        while (!stopping) {
            try {
                Thread.sleep(PERIOD);
            } catch (InterruptedException e) {
                break;
            }
            try {
                sweep(due);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "deadline watch: unexpected error; sweeping again in " + PERIOD.toMillis() + " ms", e);
            } finally {
                due.clear();
            }
        }
    }

    private void sweep(List<PendingTask> due) {
        long now = System.nanoTime();
        boolean checkAll = checkAllRequested.getAndSet(false);
        // A task is this thread's once it is a PERIOD past its deadline: a caller blocked on it acts at the
        // deadline itself, and its own expiry (permits released before it returns) is then never raced.
        long cutoff = now - PERIOD.toNanos();
        if (checkAll) {
            registry.collectAwaiting(due);
        } else {
            registry.collectOverdue(cutoff, due);
        }
        // After one failed lookup (Redis unreachable), the rest of this sweep does not ask again.
        boolean[] redisAnswers = {true};
        Function<PendingTask, TaskResult> guarded = task -> {
            if (!redisAnswers[0]) {
                throw new ReservoirException("Redis did not answer an earlier lookup");
            }
            try {
                return lookup.apply(task);
            } catch (RuntimeException e) {
                redisAnswers[0] = false;
                throw e;
            }
        };
        for (PendingTask task : due) {
            if (stopping) {
                return;
            }
            if (task.future.isDone()) {
                continue;
            }
            if (cutoff - task.deadlineNanos >= 0) {
                registry.expire(task, guarded);
            } else if (redisAnswers[0] && acceptedByRedis(task)) {
                try {
                    TaskResult stored = guarded.apply(task);
                    if (stored != null) {
                        registry.settle(task, stored);
                    }
                } catch (RuntimeException e) {
                    checkAllRequested.set(true); // Redis went away again: check once it is back
                }
            }
        }
    }

    private static boolean acceptedByRedis(PendingTask task) {
        return task.future.accepted().isDone() && !task.future.accepted().isCompletedExceptionally();
    }

    void stop() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
