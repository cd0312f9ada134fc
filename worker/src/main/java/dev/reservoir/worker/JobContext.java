package dev.reservoir.worker;

import dev.reservoir.worker.handler.TaskContext;
import dev.reservoir.worker.memory.Block;
import dev.reservoir.worker.memory.LeaseScope;
import dev.reservoir.worker.memory.MemoryPool;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * The context handed to a handler; valid only while it runs. The lease scope for scratch blocks is
 * opened on the first {@link #scratch()} (most handlers never ask for one) and closed with the context.
 */
final class JobContext implements TaskContext {
    private final Job job;
    private final MemorySegment payload;
    private final MemoryPool memory;
    private final WorkerConfig config;
    /** Guarded by this (a handler may lease from helper threads): null until the first scratch(). */
    private LeaseScope scope;
    /** Guarded by this: true once the task ended. */
    private boolean closed;

    JobContext(Job job, MemorySegment payload, MemoryPool memory, WorkerConfig config) {
        this.job = job;
        this.payload = payload;
        this.memory = memory;
        this.config = config;
    }

    @Override
    public String taskId() {
        return job.task.id();
    }

    @Override
    public int attempt() {
        return job.attempt;
    }

    @Override
    public MemorySegment payload() {
        return payload;
    }

    @Override
    public byte[] payloadBytes() {
        return job.task.payload();
    }

    @Override
    public Block scratch() throws Exception {
        return scope().lease(config.memoryWait());
    }

    private synchronized LeaseScope scope() {
        if (scope == null) {
            String owner = job.task.handler() + " task " + job.task.id();
            if (closed) {
                throw new IllegalStateException("lease scope '" + owner + "' is closed");
            }
            scope = memory.openScope(owner);
        }
        return scope;
    }

    /** Releases the scratch blocks still held (each reported as a leak); later scratch() calls fail. */
    synchronized void close() {
        closed = true;
        if (scope != null) {
            scope.close();
        }
    }

    @Override
    public Duration remaining() {
        return job.deadlineNanos == Long.MAX_VALUE ? Duration.ofDays(365) : Duration.ofNanos(Math.max(0, job.deadlineNanos - System.nanoTime()));
    }

    @Override
    public String workerId() {
        return config.workerId();
    }
}
