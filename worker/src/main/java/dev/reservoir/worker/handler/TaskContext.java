package dev.reservoir.worker.handler;

import dev.reservoir.worker.memory.Block;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/** What a handler sees of the task it runs. Valid only during {@link TaskHandler#handle}. */
public interface TaskContext {

    String taskId();

    /** 1 on the first attempt. */
    int attempt();

    /** The payload, in a block leased from the worker's memory pool (read-only view; released after the task). */
    MemorySegment payload();

    /** A copy of the payload on the heap, for handlers that want a byte[]. */
    byte[] payloadBytes();

    /**
     * A scratch block from the memory pool, released automatically when the task ends (or release it
     * earlier). It starts zeroed: no byte of an earlier task is left in it. Waits, bounded, when the pool
     * is exhausted, then fails the attempt with MemoryPoolExhausted.
     */
    Block scratch() throws Exception;

    /** Time left before the task's timeout, or {@link Duration#ZERO}-free maximum when there is none. */
    Duration remaining();

    String workerId();
}
