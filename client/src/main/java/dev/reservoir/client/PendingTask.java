package dev.reservoir.client;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A submitted task waiting for its outcome: what the submitter sends and what the reader completes.
 *
 * <p>Sending: NEW → SENDING (the submitter took it: {@link TaskFuture#accepted()} is settled by the
 * send) or NEW → CANCELLED (its future was cancelled first: it is never sent, and {@code accepted()}
 * fails). Finishing: the first completion of the future, whatever completes it (outcome, failure,
 * cancel, timeout), wins {@link #markFinished()} and releases the task's bookkeeping exactly once.
 */
final class PendingTask {
    private static final int NEW = 0;
    private static final int SENDING = 1;
    private static final int CANCELLED = 2;
    private static final VarHandle SEND_STATE;
    private static final VarHandle FINISHED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SEND_STATE = lookup.findVarHandle(PendingTask.class, "sendState", int.class);
            FINISHED = lookup.findVarHandle(PendingTask.class, "finished", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String taskId;
    final Pool pool;
    final byte[][] xaddArgs;
    final TaskFuture future;
    /**
     * Fire and forget ({@link Pool#submitDetached}): no reply is asked for and nothing waits for the
     * outcome, so the pool's bookkeeping ends when Redis accepts the task instead of when it completes.
     */
    final boolean detached;
    /** NEW, SENDING or CANCELLED; changed by CAS only (submitter thread vs a thread cancelling the future). */
    @SuppressWarnings("unused")
    private volatile int sendState;
    /** Set once, by CAS, by whichever completion of the future comes first. */
    @SuppressWarnings("unused")
    private volatile boolean finished;

    PendingTask(String taskId, Pool pool, byte[][] xaddArgs, boolean detached) {
        this.taskId = taskId;
        this.pool = pool;
        this.xaddArgs = xaddArgs;
        this.detached = detached;
        this.future = new TaskFuture(this);
    }

    /** The submitter takes the task for sending; false when it was cancelled first (then it must not be sent). */
    boolean claimForSend() {
        return SEND_STATE.compareAndSet(this, NEW, SENDING);
    }

    /** A cancel before the submitter took the task: it will never be sent. */
    boolean cancelUnsent() {
        return SEND_STATE.compareAndSet(this, NEW, CANCELLED);
    }

    boolean markFinished() {
        return FINISHED.compareAndSet(this, false, true);
    }
}
