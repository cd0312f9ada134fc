package dev.reservoir.client;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * One submitted task: what the submitter sends, what the reply reader's outcome completes, and the
 * two flags its bookkeeping turns on. The bookkeeping itself is {@link TaskRegistry}'s.
 *
 * <p>Sending: NEW → SENDING (the submitter took it: {@link TaskFuture#accepted()} is settled by the
 * send) or NEW → CANCELLED (its future was cancelled first: it is never sent, and {@code accepted()}
 * fails). Finishing: the first completion of the future, whatever completes it (outcome, failure,
 * cancel, timeout), wins {@link #markFinished()}, and the registry releases the task's bookkeeping
 * exactly once.
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
    /** The pool handle's share this task counts against; its registry is the client's. */
    final TaskRegistry.Quota quota;
    final byte[][] xaddArgs;
    final TaskFuture future;
    /**
     * Fire and forget ({@link Pool#submitDetached}): no reply is asked for and nothing waits for the
     * outcome, so its bookkeeping ends when Redis accepts the task instead of when it completes.
     */
    final boolean detached;
    /** The payload's size: what the task holds of its quota's {@code maxPendingBytes} (capped at the whole bound). */
    final int weightBytes;
    /**
     * {@link System#nanoTime()} at which the client stops waiting for the outcome and looks for a stored
     * one instead ({@link DeadlineWatch}); unused for a detached task, which waits for no outcome. Set
     * once, by the admitting thread, before the task is published in the registry's map (which orders
     * the write before the watch's reads); so the wait for a permit does not count against it.
     */
    long deadlineNanos;
    /** The wait {@link #deadlineNanos} stands for, for messages. */
    final Duration deadline;
    /** NEW, SENDING or CANCELLED; changed by CAS only (submitter thread vs a thread cancelling the future). */
    @SuppressWarnings("unused")
    private volatile int sendState;
    /** Set once, by CAS, by whichever completion of the future comes first. */
    @SuppressWarnings("unused")
    private volatile boolean finished;

    PendingTask(String taskId, TaskRegistry.Quota quota, byte[][] xaddArgs, boolean detached, int weightBytes,
                Duration deadline) {
        this.taskId = taskId;
        this.quota = quota;
        this.xaddArgs = xaddArgs;
        this.detached = detached;
        this.weightBytes = weightBytes;
        this.deadline = deadline;
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
