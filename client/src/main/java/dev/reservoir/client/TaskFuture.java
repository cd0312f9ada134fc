package dev.reservoir.client;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The future of one submitted task: a {@code CompletableFuture<Result>} that also knows its task id
 * (for {@link Pool#get(String)} later) and when Redis accepted the task.
 *
 * <p>Every way of completing it (the outcome, a failure, {@link #cancel}, {@code orTimeout}, ...) goes
 * through the overrides below, so the pool's bookkeeping (maxPending permit, {@link Pool#join()}
 * count) is released exactly once, without a callback object per task. The task leaves the client's
 * waiting set before waiters wake, so a caller's next {@code apply} finds the client idle and sends
 * its task directly.
 */
public final class TaskFuture extends CompletableFuture<Result> {
    private final PendingTask task;
    private final CompletableFuture<Void> accepted = new CompletableFuture<>();

    TaskFuture(PendingTask task) {
        this.task = task;
    }

    public String taskId() {
        return task.taskId;
    }

    /**
     * Completes when Redis has the task (from then on it is not lost, whatever happens to this
     * client), or exceptionally when it could not be queued, or with a {@link CancellationException}
     * when this future was cancelled before the task was sent (it was then never queued).
     */
    public CompletableFuture<Void> accepted() {
        return accepted;
    }

    void markAccepted() {
        accepted.complete(null);
    }

    void fail(Throwable error) {
        accepted.completeExceptionally(error);
        completeExceptionally(error);
    }

    @Override
    public boolean complete(Result value) {
        if (!task.markFinished()) {
            return false;
        }
        leaving();
        super.complete(value);
        finished();
        return true;
    }

    @Override
    public boolean completeExceptionally(Throwable error) {
        if (!task.markFinished()) {
            return false;
        }
        leaving();
        super.completeExceptionally(error);
        finished();
        return true;
    }

    /**
     * Stops waiting for the outcome. A task not yet sent is then never sent ({@link #accepted()} fails);
     * one already in Redis still runs, and its result stays available by task id.
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        if (!task.markFinished()) {
            return isCancelled();
        }
        if (task.cancelUnsent()) {
            accepted.completeExceptionally(new CancellationException("task " + task.taskId + " was cancelled before it was sent: not queued"));
        }
        leaving();
        super.cancel(mayInterruptIfRunning);
        finished();
        return true;
    }

    /** Overridden because CompletableFuture's own version completes through an internal path that would skip the bookkeeping. */
    @Override
    public CompletableFuture<Result> completeAsync(Supplier<? extends Result> supplier, Executor executor) {
        if (supplier == null || executor == null) {
            throw new NullPointerException();
        }
        executor.execute(() -> {
            try {
                complete(supplier.get());
            } catch (Throwable t) {
                completeExceptionally(t);
            }
        });
        return this;
    }

    @Override
    public void obtrudeValue(Result value) {
        boolean first = task.markFinished();
        if (first) {
            leaving();
        }
        super.obtrudeValue(value);
        if (first) {
            finished();
        }
    }

    @Override
    public void obtrudeException(Throwable error) {
        boolean first = task.markFinished();
        if (first) {
            leaving();
        }
        super.obtrudeException(error);
        if (first) {
            finished();
        }
    }

    private void leaving() {
        if (!task.detached) {
            task.pool.taskLeaving(task);
        }
    }

    private void finished() {
        if (!task.detached) {
            task.pool.taskFinished();
        }
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
