package dev.reservoir.client;

import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.PoolQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The client's outstanding tasks: the one owner of a task's client-side bookkeeping, from its
 * admission to the first completion of its future. One per {@link Reservoir}.
 *
 * <p>What a task holds while outstanding:
 * <ol>
 *   <li>a {@code maxPending} permit and its payload's size in {@code maxPendingBytes} of its pool
 *       handle's {@link Quota}, taken before the task is handed to the submitter (so {@code submit}
 *       blocks there, not later);
 *   <li>a count in that quota, which {@link Pool#join()} waits on;
 *   <li>unless detached, an entry by task id in {@link #awaitingOutcome}, which the reply reader's
 *       outcomes ({@link #deliver}) find, and {@link DeadlineWatch} sweeps for tasks past their
 *       deadline ({@link #expire}).
 * </ol>
 * Release happens once, on the future's first completion, whatever completes it (an outcome, a
 * failure, the deadline, {@code cancel}, {@code orTimeout}, ...): {@link TaskFuture} routes every
 * completion through {@link #finishing} and {@link #finished}. The entry goes first, before the
 * future's waiters wake, so that a caller woken by its result who submits again finds the client idle
 * and sends its task directly; the permits and the count go after. A detached task has no entry; its
 * permits and count are released as soon as Redis has accepted the task (or refused it).
 *
 * <p>This is the client's hot path: per task, one map entry, two semaphore updates (count and bytes)
 * and one counter update, as the bookkeeping itself requires. No lock is taken ({@code join()}'s
 * monitor only when a count reaches zero), and a task with a reply allocates nothing here beyond its
 * map entry. Deadlines cost no per-task timer: the watch sweeps the map periodically.
 */
final class TaskRegistry {
    private final String clientId;
    private final AtomicLong sequence = new AtomicLong();
    /** Tasks waiting for an outcome, by task id: put at admission, removed by the first completion of the future. */
    private final ConcurrentHashMap<String, PendingTask> awaitingOutcome = new ConcurrentHashMap<>();

    TaskRegistry(String clientId) {
        this.clientId = clientId;
    }

    /**
     * The share of one pool handle: the permits that bound its unanswered tasks by count
     * ({@code maxPending}) and by payload bytes ({@code maxPendingBytes}), and the count of its tasks not
     * yet complete, which {@code join()} waits for. Its tasks' permits and counts are taken and released
     * only by the registry. A task takes its count permit first, then its bytes.
     */
    final class Quota {
        private final int maxPending;
        private final Semaphore permits;
        private final int maxPendingBytes;
        private final Semaphore bytePermits;
        /** The pool's queue, where {@link DeadlineWatch} looks for its tasks' stored outcomes. */
        final PoolQueue queue;
        /** Admitted and not yet complete. Waiters of join() park on {@code joinLock}, notified when it reaches zero. */
        private final AtomicLong outstanding = new AtomicLong();
        private final Object joinLock = new Object();

        private Quota(int maxPending, int maxPendingBytes, PoolQueue queue) {
            this.maxPending = maxPending;
            this.permits = new Semaphore(maxPending);
            this.maxPendingBytes = maxPendingBytes;
            this.bytePermits = new Semaphore(maxPendingBytes);
            this.queue = queue;
        }

        /** What a payload of {@code size} bytes holds of {@code maxPendingBytes}: its size, capped so a larger one is admitted alone. */
        int weightOf(int size) {
            return Math.min(size, maxPendingBytes);
        }

        TaskRegistry registry() {
            return TaskRegistry.this;
        }

        long outstanding() {
            return outstanding.get();
        }

        /** Waits until every task admitted through this quota has completed; at most {@code timeout} (null: no limit). */
        boolean join(Duration timeout) {
            long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
            synchronized (joinLock) {
                while (outstanding.get() > 0) {
                    try {
                        if (timeout == null) {
                            joinLock.wait();
                        } else {
                            long left = deadline - System.nanoTime();
                            if (left <= 0) {
                                return false;
                            }
                            TimeUnit.NANOSECONDS.timedWait(joinLock, left);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ReservoirException("interrupted in join()", e);
                    }
                }
            }
            return true;
        }

        private void acquire(PendingTask task) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ReservoirException("interrupted while waiting for room (maxPending=" + maxPending + ")", e);
            }
            try {
                bytePermits.acquire(task.weightBytes);
            } catch (InterruptedException e) {
                permits.release();
                Thread.currentThread().interrupt();
                throw new ReservoirException("interrupted while waiting for room (maxPendingBytes=" + maxPendingBytes + ")", e);
            }
        }

        private boolean tryAcquire(PendingTask task) {
            if (!permits.tryAcquire()) {
                return false;
            }
            if (!bytePermits.tryAcquire(task.weightBytes)) {
                permits.release();
                return false;
            }
            return true;
        }

        private void release(PendingTask task) {
            bytePermits.release(task.weightBytes);
            permits.release();
            if (outstanding.decrementAndGet() == 0) {
                synchronized (joinLock) {
                    joinLock.notifyAll();
                }
            }
        }
    }

    Quota quota(int maxPending, long maxPendingBytes, PoolQueue queue) {
        return new Quota(maxPending, Math.toIntExact(maxPendingBytes), queue);
    }

    String nextTaskId() {
        return clientId + "-" + Long.toString(sequence.incrementAndGet(), 36);
    }

    /** Admits a task, blocking for a permit of its quota. */
    void admit(PendingTask task) {
        task.quota.acquire(task);
        track(task);
    }

    /** Admits a task if its quota has a permit free now; false (nothing taken) when it has none. */
    boolean tryAdmit(PendingTask task) {
        if (!task.quota.tryAcquire(task)) {
            return false;
        }
        track(task);
        return true;
    }

    /**
     * Admits a detached task, blocking for a permit: it holds the permit and the count until Redis has
     * accepted it. The returned future completes then with the task id, or exceptionally when it could
     * not be queued.
     */
    CompletableFuture<String> admitDetached(PendingTask task) {
        task.quota.acquire(task);
        task.quota.outstanding.incrementAndGet();
        CompletableFuture<String> queued = new CompletableFuture<>();
        task.future.accepted().whenComplete((v, e) -> {
            task.quota.release(task);
            if (e == null) {
                queued.complete(task.taskId);
            } else {
                queued.completeExceptionally(e);
            }
        });
        return queued;
    }

    private void track(PendingTask task) {
        task.deadlineNanos = System.nanoTime() + task.deadline.toNanos();
        task.quota.outstanding.incrementAndGet();
        awaitingOutcome.put(task.taskId, task);
    }

    /** Tasks waiting for an outcome. */
    int awaitingCount() {
        return awaitingOutcome.size();
    }

    /** True when exactly one task waits for an outcome: a task just admitted is then alone in the client. */
    boolean loneAwaiting() {
        return awaitingOutcome.size() == 1;
    }

    /** One outcome from the reply reader; a duplicate (at-least-once delivery) or a late one finds no entry and is dropped. */
    void deliver(TaskResult outcome) {
        PendingTask task = awaitingOutcome.get(outcome.taskId());
        if (task == null) {
            return;
        }
        settle(task, outcome);
    }

    /** Completes {@code task}'s future with an outcome, from the reply stream or found stored by task id. */
    void settle(PendingTask task, TaskResult outcome) {
        Result result = Result.of(outcome);
        if (result.isOk()) {
            task.future.complete(result);
        } else {
            task.future.completeExceptionally(new TaskFailedException(result));
        }
    }

    /** Adds to {@code into} the tasks waiting for an outcome whose deadline is at or before {@code now} (a {@link System#nanoTime()}). */
    void collectOverdue(long now, List<PendingTask> into) {
        for (PendingTask task : awaitingOutcome.values()) {
            if (now - task.deadlineNanos >= 0) {
                into.add(task);
            }
        }
    }

    /** Adds to {@code into} every task waiting for an outcome. */
    void collectAwaiting(List<PendingTask> into) {
        into.addAll(awaitingOutcome.values());
    }

    /**
     * Ends the wait for {@code task} at its deadline: a task not yet sent is never sent, and fails as
     * not queued; one Redis may have is looked up by task id ({@code lookup}, which throws when Redis
     * cannot be asked) and completes with its stored outcome, or fails with
     * {@link TaskOutcomeUnknownException}. Either way its permits are released. Safe to race with an
     * outcome arriving, and with another expiry: the first completion wins.
     */
    void expire(PendingTask task, Function<PendingTask, TaskResult> lookup) {
        if (task.future.isDone()) {
            return;
        }
        if (task.cancelUnsent()) {
            task.future.fail(new TaskOutcomeUnknownException(task.taskId, task.deadline, false, null));
            return;
        }
        String why = null;
        try {
            TaskResult stored = lookup.apply(task);
            if (stored != null) {
                settle(task, stored);
                return;
            }
        } catch (RuntimeException e) {
            why = "its stored outcome could not be checked: " + e.getMessage();
        }
        task.future.completeExceptionally(new TaskOutcomeUnknownException(task.taskId, task.deadline, true, why));
    }

    /** Fails every task still waiting for an outcome (Redis gone for good, client closed). */
    void failAll(RuntimeException error) {
        for (PendingTask task : new ArrayList<>(awaitingOutcome.values())) {
            task.future.completeExceptionally(error);
        }
    }

    /**
     * The first half of the one release of a task, called by its future before completing: true for the
     * first completion only, which then removes the task's entry; false for any later one, which must
     * not complete the future.
     */
    boolean finishing(PendingTask task) {
        if (!task.markFinished()) {
            return false;
        }
        if (!task.detached) {
            awaitingOutcome.remove(task.taskId, task);
        }
        return true;
    }

    /** The second half, after the future completed (its waiters woke): the permit and the join() count. */
    void finished(PendingTask task) {
        if (!task.detached) {
            task.quota.release(task);
        }
    }
}
