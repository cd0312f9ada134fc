package dev.reservoir.client;

/** A submitted task waiting for its outcome: what the submitter sends and what the reader completes. */
final class PendingTask {
    final String taskId;
    final Pool pool;
    final byte[][] xaddArgs;
    final TaskFuture future;

    PendingTask(String taskId, Pool pool, byte[][] xaddArgs) {
        this.taskId = taskId;
        this.pool = pool;
        this.xaddArgs = xaddArgs;
        this.future = new TaskFuture(taskId);
    }
}
