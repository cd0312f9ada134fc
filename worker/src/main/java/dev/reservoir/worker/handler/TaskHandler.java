package dev.reservoir.worker.handler;

/**
 * A named piece of code in the worker image that runs tasks. Tasks name a handler; they never carry
 * code. Implementations are found with {@link java.util.ServiceLoader} on the worker's classpath and
 * in the jars of the handlers directory ({@code RESERVOIR_HANDLERS_DIR}): list the class in
 * {@code META-INF/services/dev.reservoir.worker.handler.TaskHandler}.
 *
 * <p>One instance serves every thread of the worker, so {@code handle} must be thread-safe.
 * Throwing fails the attempt: it is retried up to {@code maxAttempts} unless the exception is a
 * {@link NonRetryableException}. A handler should stop early when its thread is interrupted (the task
 * timed out or the worker is stopping).
 */
public interface TaskHandler {

    /** The name tasks use to call this handler: letters, digits, '.', '_' or '-'. */
    String name();

    /**
     * Runs one task.
     *
     * @return the result bytes written back to the submitter (may be empty, never null)
     */
    byte[] handle(TaskContext context) throws Exception;
}
