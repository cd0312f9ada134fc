package dev.reservoir.client;

import java.util.concurrent.CompletableFuture;

/** A submitted task waiting for its outcome: what the submitter sends and what the reader completes. */
final class PendingTask {
    final String taskId;
    final Pool pool;
    final byte[][] xaddArgs;
    final CompletableFuture<Result> future = new CompletableFuture<>();

    PendingTask(String taskId, Pool pool, byte[][] xaddArgs) {
        this.taskId = taskId;
        this.pool = pool;
        this.xaddArgs = xaddArgs;
    }
}
