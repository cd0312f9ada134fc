package dev.reservoir.worker.memory;

/**
 * A lease that was never released: found when its {@link LeaseScope} closed (the pool then released the
 * block) or when the pool closed.
 *
 * @param owner      the scope owner that took the lease (a task id, say), or {@code "unscoped"}
 * @param blockIndex the block's index in the pool
 * @param whereTaken the stack of the {@code lease} call, or {@code null} when it was not recorded
 *                   ({@link LeakDetection#OFF}, or not sampled under {@link LeakDetection#SAMPLED})
 */
public record LeakReport(String owner, int blockIndex, Throwable whereTaken) {

    /** One line for logs; the stack (when recorded) is in {@link #whereTaken()}. */
    public String describe() {
        return "memory block " + blockIndex + " leased by '" + owner + "' was never released"
                + (whereTaken == null ? " (where it was taken was not recorded: set memoryPool.leakDetection=PARANOID to record every lease)" : "");
    }
}
