package dev.reservoir.client;

import java.util.concurrent.CompletableFuture;

/**
 * The future of one submitted task: a {@code CompletableFuture<Result>} that also knows its task id
 * (for {@link Pool#get(String)} later) and when Redis accepted the task.
 */
public final class TaskFuture extends CompletableFuture<Result> {
    private final String taskId;
    private final CompletableFuture<Void> accepted = new CompletableFuture<>();

    TaskFuture(String taskId) {
        this.taskId = taskId;
    }

    public String taskId() {
        return taskId;
    }

    /**
     * Completes when Redis has the task (from then on it is not lost, whatever happens to this
     * client), or exceptionally when it could not be queued.
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
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
