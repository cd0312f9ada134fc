package dev.reservoir.worker;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.worker.handler.NonRetryableException;
import dev.reservoir.worker.handler.TaskHandler;
import dev.reservoir.worker.memory.Block;
import dev.reservoir.worker.memory.MemoryPool;
import dev.reservoir.worker.memory.MemoryPoolExhaustedException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's "run" room: what each runner thread of the {@link RunnerPool} does with a claimed
 * {@link Job}: copy its payload into a block of the memory pool, call its handler, and hand the result
 * to the {@link Completer} (an outcome, or a retry while attempts remain).
 *
 * <p>Failures: whatever the handler throws, an {@link Error} included, is that task's failed attempt (its
 * type from the Throwable: {@link NonRetryableException} is not retried); the runner then goes on.
 * A Throwable from this room's own code ends the runner thread and goes to the worker's fatal-error
 * policy (the runner thread factory's uncaught-exception handler).
 */
final class JobRunner {
    private final WorkerConfig config;
    private final MemoryPool memory;
    private final WorkerMetrics metrics;
    /** Fed every run time (racy on purpose, see PrefetchBound); the fetcher reads it. */
    private final PrefetchBound prefetchBound;
    private final Completer completer;
    /** Runners inside a task now (heartbeat, gauge); every runner counts up and down. */
    private final AtomicInteger busy = new AtomicInteger();

    JobRunner(WorkerConfig config, MemoryPool memory, WorkerMetrics metrics, PrefetchBound prefetchBound, Completer completer) {
        this.config = config;
        this.memory = memory;
        this.metrics = metrics;
        this.prefetchBound = prefetchBound;
        this.completer = completer;
    }

    int busy() {
        return busy.get();
    }

    /** Runs the job unless a drain handed it back first. */
    void runIfStillQueued(Job job) {
        if (job.transition(Job.State.QUEUED, Job.State.RUNNING)) {
            run(job);
        }
    }

    private void run(Job job) {
        Task task = job.task;
        TaskHandler handler = job.handler;
        long timeout = task.timeoutMillis() > 0 ? task.timeoutMillis() : config.taskTimeout().toMillis();
        // Three clock reads per task in all (start, start wall time, end): they are not free on every VM.
        long start = System.nanoTime();
        long startMillis = System.currentTimeMillis();
        job.deadlineNanos = timeout > 0 ? saturatedAdd(start, TimeUnit.MILLISECONDS.toNanos(timeout)) : Long.MAX_VALUE;
        job.timeoutMillis = timeout;
        job.abandonAtNanos = timeout > 0 ? saturatedAdd(job.deadlineNanos, graceNanos(timeout)) : Long.MAX_VALUE;
        job.runner = Thread.currentThread(); // after the deadline (see Job.runner)
        if (job.submittedAt > 0) {
            metrics.queueWait.record(Math.max(0, startMillis - job.submittedAt), TimeUnit.MILLISECONDS);
        }
        busy.incrementAndGet();
        byte[] value = null;
        Throwable error = null;
        JobContext context = null;
        try {
            // Untracked: released in the finally below, so it cannot leak (the scratch scope tracks the handler's leases).
            Block payloadBlock = memory.leaseUntracked(config.memoryWait(), task.id());
            long payloadBytes = 0; // the prefix of the block written: the payload, once it is known to fit
            try {
                byte[] bytes = task.payload();
                MemorySegment payload = payloadBlock.segment().asSlice(0, bytes.length);
                payloadBytes = bytes.length;
                MemorySegment.copy(MemorySegment.ofArray(bytes), 0, payload, 0, bytes.length);
                context = new JobContext(job, payload.asReadOnly(), memory, config);
                value = handler.handle(context);
                if (value == null) {
                    value = new byte[0];
                }
            } finally {
                try {
                    if (context != null) {
                        context.close();
                    }
                } finally {
                    // Only the payload was written (the handler's view is read-only): clearing it is enough.
                    payloadBlock.releaseWritten(payloadBytes);
                }
            }
        } catch (Throwable t) {
            error = t; // the handler's failure is this attempt's outcome (class comment)
        } finally {
            busy.decrementAndGet();
            job.runner = null;
            Thread.interrupted(); // clear a timeout interrupt that arrived after the handler returned
        }
        long elapsed = System.nanoTime() - start;
        prefetchBound.observe(elapsed);
        long micros = TimeUnit.NANOSECONDS.toMicros(elapsed);
        metrics.duration.record(micros, TimeUnit.MICROSECONDS);
        if (!job.transition(Job.State.RUNNING, Job.State.FINISHED)) {
            return; // abandoned by a drain that timed out: it was handed back, this result is dropped
        }
        if (error == null && job.timedOut) {
            error = new TimeoutException("ran longer than its timeout of " + timeout + "ms");
        }
        if (error == null) {
            // finishedAt from the start and the run time rather than one more clock read
            TaskResult ok = new TaskResult(task.id(), TaskStatus.OK, value, null, null, job.attempt, config.workerId(), micros,
                    startMillis + elapsed / 1_000_000);
            completer.finish(job, new PoolQueue.Outcome(job.streamId, ok, task.replyTo(), task.handler(), null));
            return;
        }
        String type;
        boolean retryable = true;
        if (job.timedOut) {
            type = ErrorTypes.TIMEOUT;
        } else if (error instanceof NonRetryableException) {
            type = ErrorTypes.NON_RETRYABLE;
            retryable = false;
        } else if (error instanceof MemoryPoolExhaustedException) {
            type = ErrorTypes.MEMORY_EXHAUSTED;
        } else {
            type = ErrorTypes.HANDLER_ERROR;
        }
        String message = job.timedOut ? "task ran longer than its timeout of " + timeout + "ms"
                : error.getClass().getSimpleName() + ": " + error.getMessage();
        if (retryable && job.attempt < config.maxAttempts()) {
            completer.enqueue(Completer.Write.retry(job, type + ": " + message));
        } else {
            TaskResult result = TaskResult.failed(task.id(), type, message, job.attempt, config.workerId(), micros);
            completer.finish(job, new PoolQueue.Outcome(job.streamId, result, task.replyTo(), task.handler(), task.payload()));
        }
    }

    /**
     * How long a handler may go on after its timeout's interrupt before it is abandoned: max(5 s, timeout / 10).
     * Long enough for a handler that does stop on an interrupt to clean up and return.
     */
    static long graceNanos(long timeoutMillis) {
        return Math.max(TimeUnit.SECONDS.toNanos(5), TimeUnit.MILLISECONDS.toNanos(timeoutMillis) / 10);
    }

    /**
     * Fails the attempt of a job whose handler ignored its timeout's interrupt for the grace period, and
     * which the caller has moved RUNNING → ABANDONED: with TaskTimeout, so the task is requeued with the
     * attempt counted while attempts remain, else it fails for good. The runner thread stays stuck in the
     * handler; should it ever return, its result is dropped (the job is no longer RUNNING).
     */
    void failAbandoned(Job job) {
        Task task = job.task;
        String message = "task ran longer than its timeout of " + job.timeoutMillis + "ms and ignored the interrupt for a further "
                + TimeUnit.NANOSECONDS.toMillis(graceNanos(job.timeoutMillis)) + "ms: abandoned (its worker is replaced)";
        if (job.attempt < config.maxAttempts()) {
            completer.enqueue(Completer.Write.retry(job, ErrorTypes.TIMEOUT + ": " + message));
        } else {
            // the deadline is finite here (an abandoned job had one), so it is the start plus the timeout
            long start = job.deadlineNanos - TimeUnit.MILLISECONDS.toNanos(job.timeoutMillis);
            long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            TaskResult result = TaskResult.failed(task.id(), ErrorTypes.TIMEOUT, message, job.attempt, config.workerId(), micros);
            completer.enqueue(Completer.Write.outcome(job, new PoolQueue.Outcome(job.streamId, result, task.replyTo(), task.handler(),
                    task.payload())));
        }
    }

    /**
     * {@code a + b}, or Long.MAX_VALUE ("never") where the sum overflows: a task's own timeout field may be any
     * long, up to Long.MAX_VALUE ms, and a deadline that wrapped negative would time the task out at once.
     */
    static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : sum;
    }
}
