package dev.reservoir.client;

import dev.reservoir.protocol.TaskResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client's outstanding tasks: the one owner of a task's client-side bookkeeping, from its
 * admission to the first completion of its future. One per {@link Reservoir}.
 *
 * <p>What a task holds while outstanding:
 * <ol>
 *   <li>a {@code maxPending} permit of its pool handle's {@link Quota}, taken before the task is
 *       handed to the submitter (so {@code submit} blocks there, not later);
 *   <li>a count in that quota, which {@link Pool#join()} waits on;
 *   <li>unless detached, an entry by task id in {@link #awaitingOutcome}, which the reply reader's
 *       outcomes ({@link #deliver}) find.
 * </ol>
 * Release happens once, on the future's first completion, whatever completes it (an outcome, a
 * failure, {@code cancel}, {@code orTimeout}, ...): {@link TaskFuture} routes every completion
 * through {@link #finishing} and {@link #finished}. The entry goes first, before the future's
 * waiters wake, so that a caller woken by its result who submits again finds the client idle and
 * sends its task directly; the permit and the count go after. A detached task has no entry; its
 * permit and count are released as soon as Redis has accepted the task (or refused it).
 *
 * <p>This is the client's hot path: per task, one map entry, one permit and one counter update, as
 * the bookkeeping itself requires. No lock is taken ({@code join()}'s monitor only when a count
 * reaches zero), and a task with a reply allocates nothing here beyond its map entry.
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
     * The share of one pool handle: the permits that bound its unanswered tasks ({@code maxPending})
     * and the count of its tasks not yet complete, which {@code join()} waits for. Its tasks' permits
     * and counts are taken and released only by the registry.
     */
    final class Quota {
        private final int maxPending;
        private final Semaphore permits;
        /** Admitted and not yet complete. Waiters of join() park on {@code joinLock}, notified when it reaches zero. */
        private final AtomicLong outstanding = new AtomicLong();
        private final Object joinLock = new Object();

        private Quota(int maxPending) {
            this.maxPending = maxPending;
            this.permits = new Semaphore(maxPending);
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

        private void acquire() {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ReservoirException("interrupted while waiting for room (maxPending=" + maxPending + ")", e);
            }
        }

        private void release() {
            permits.release();
            if (outstanding.decrementAndGet() == 0) {
                synchronized (joinLock) {
                    joinLock.notifyAll();
                }
            }
        }
    }

    Quota quota(int maxPending) {
        return new Quota(maxPending);
    }

    String nextTaskId() {
        return clientId + "-" + Long.toString(sequence.incrementAndGet(), 36);
    }

    /** Admits a task, blocking for a permit of its quota. */
    void admit(PendingTask task) {
        task.quota.acquire();
        track(task);
    }

    /** Admits a task if its quota has a permit free now; false (nothing taken) when it has none. */
    boolean tryAdmit(PendingTask task) {
        if (!task.quota.permits.tryAcquire()) {
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
        task.quota.acquire();
        task.quota.outstanding.incrementAndGet();
        CompletableFuture<String> queued = new CompletableFuture<>();
        task.future.accepted().whenComplete((v, e) -> {
            task.quota.release();
            if (e == null) {
                queued.complete(task.taskId);
            } else {
                queued.completeExceptionally(e);
            }
        });
        return queued;
    }

    private void track(PendingTask task) {
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
        Result result = Result.of(outcome);
        if (result.isOk()) {
            task.future.complete(result);
        } else {
            task.future.completeExceptionally(new TaskFailedException(result));
        }
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
            task.quota.release();
        }
    }
}
