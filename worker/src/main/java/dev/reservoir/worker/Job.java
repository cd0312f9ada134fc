package dev.reservoir.worker;

import dev.reservoir.protocol.Task;
import dev.reservoir.worker.handler.TaskHandler;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One claimed stream entry inside the worker, from claim to the write of its outcome.
 *
 * <p>State machine (transitions by compare-and-set on {@link #state}, so exactly one party acts on a job):
 * <pre>
 * QUEUED ──runner takes it──▶ RUNNING ──handler returns/throws──▶ FINISHED ──outcome written──▶ (removed)
 *   │                            │
 *   └──drain hands it back──▶ HANDED_BACK      └──drain timeout, or timeout + grace──▶ ABANDONED
 *                                                   (requeued or failed for good; a late result is dropped)
 * </pre>
 * Entries that fail before running (malformed, unknown handler, too large, attempts used up) go
 * straight from QUEUED to FINISHED.
 */
final class Job {
    enum State { QUEUED, RUNNING, FINISHED, HANDED_BACK, ABANDONED }

    final String streamId;
    /** Null when the entry was malformed. */
    final Task task;
    /** Attempt number of this run: the attempt field plus deliveries beyond the first (lost runs count). */
    final int attempt;
    final AtomicReference<State> state = new AtomicReference<>(State.QUEUED);
    /**
     * Epoch ms the task was submitted: its {@code submitted} field, or when that is absent the time
     * Redis added the entry (the stream id's millisecond part); 0 when neither is known.
     */
    final long submittedAt;

    /** The handler to run; written by the fetcher before the job is queued (the runner queue publishes it). */
    TaskHandler handler;

    /**
     * The thread running the job: set by the runner once the job is RUNNING, cleared when the handler
     * returned; read by the housekeeper's timeout check and by the drain, which interrupt it.
     */
    volatile Thread runner;
    /** When the run must end (System.nanoTime); written before {@link #runner}, so whoever sees the runner sees its deadline. */
    volatile long deadlineNanos;
    /** Set by the housekeeper when the deadline passed (the runner then reports a timeout). */
    volatile boolean timedOut;
    /**
     * The run's timeout in ms (0: none) and when a handler that ignored its interrupt is abandoned
     * (System.nanoTime; Long.MAX_VALUE: never). Plain fields: written by the runner before {@link #runner},
     * whose volatile write publishes them to whoever reads the runner first.
     */
    long timeoutMillis;
    long abandonAtNanos = Long.MAX_VALUE;

    Job(String streamId, Task task, int attempt, long submittedAt) {
        this.streamId = streamId;
        this.task = task;
        this.attempt = attempt;
        this.submittedAt = submittedAt;
    }

    boolean transition(State from, State to) {
        return state.compareAndSet(from, to);
    }

    String taskId() {
        return task == null ? streamId : task.id();
    }
}
