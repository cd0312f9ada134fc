package dev.reservoir.worker;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a worker does when one of its own threads meets a Throwable it does not handle: an
 * {@link Error} such as {@link OutOfMemoryError} or {@link StackOverflowError}, or a bug. The room that
 * met it has stopped or dropped its work, so the worker can no longer be trusted to claim, run or write.
 *
 * <p>Before calling the policy the worker makes itself unready and not live ({@code /ready} and
 * {@code /live} answer 503) and stops claiming (a claim already sent is still answered, and its tasks
 * run). The policy is called once, with the first such error, on the thread that met it; later ones are
 * only logged.
 *
 * <p>A Throwable thrown by a task handler is not one of these: it fails that task's attempt (see
 * {@link dev.reservoir.worker.handler.TaskHandler}) and the runner goes on.
 */
@FunctionalInterface
public interface FatalErrorPolicy {

    /**
     * Called once, with the worker's first fatal error.
     *
     * @param thread the thread that met the error (it has stopped, or is a housekeeping thread that goes on)
     */
    void onFatalError(Thread thread, Throwable error);

    /**
     * Logs the error and leaves the worker as it is (unready, claiming nothing) for its owner to stop:
     * for a worker embedded in a process that must not exit because of it.
     */
    FatalErrorPolicy LOG_ONLY = (thread, error) -> Logger.getLogger(Worker.class.getName()).log(Level.SEVERE,
            "fatal error in " + thread.getName() + ": this worker is unready and claims nothing more; stop and replace it", error);

    /**
     * Logs the error (best effort: it may be an OutOfMemoryError) and halts the JVM with {@code status},
     * so that whoever runs the process replaces it: the operator or the local supervisor starts another
     * worker and hands this one's claimed tasks back (other workers also reclaim them after the
     * visibility timeout). {@link Runtime#halt}, not {@link System#exit}: exit would run the shutdown
     * hook, whose drain depends on the very threads that failed and could wait out drainTimeout for nothing.
     */
    static FatalErrorPolicy haltProcess(int status) {
        return (thread, error) -> {
            try {
                Logger.getLogger(Worker.class.getName()).log(Level.SEVERE, "fatal error in " + thread.getName()
                        + ": exiting with status " + status + " so that this worker is replaced", error);
            } catch (Throwable ignored) {
                // nothing more can be said: the exit status tells it
            } finally {
                Runtime.getRuntime().halt(status);
            }
        };
    }
}
