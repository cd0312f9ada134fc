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
 * through the overrides below, which hand the task's release to the client's {@link TaskRegistry}
 * (its entry before the waiters wake, its maxPending permit and {@link Pool#join()} count after),
 * exactly once and without a callback object per task.
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
        TaskRegistry registry = task.quota.registry();
        if (!registry.finishing(task)) {
            return false;
        }
        super.complete(value);
        registry.finished(task);
        return true;
    }

    @Override
    public boolean completeExceptionally(Throwable error) {
        TaskRegistry registry = task.quota.registry();
        if (!registry.finishing(task)) {
            return false;
        }
        super.completeExceptionally(error);
        registry.finished(task);
        return true;
    }

    /**
     * Stops waiting for the outcome. A task not yet sent is then never sent ({@link #accepted()} fails);
     * one already in Redis still runs, and its result stays available by task id.
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        TaskRegistry registry = task.quota.registry();
        if (!registry.finishing(task)) {
            return isCancelled();
        }
        if (task.cancelUnsent()) {
            accepted.completeExceptionally(new CancellationException("task " + task.taskId + " was cancelled before it was sent: not queued"));
        }
        super.cancel(mayInterruptIfRunning);
        registry.finished(task);
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
        TaskRegistry registry = task.quota.registry();
        boolean first = registry.finishing(task);
        super.obtrudeValue(value);
        if (first) {
            registry.finished(task);
        }
    }

    @Override
    public void obtrudeException(Throwable error) {
        TaskRegistry registry = task.quota.registry();
        boolean first = registry.finishing(task);
        super.obtrudeException(error);
        if (first) {
            registry.finished(task);
        }
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
