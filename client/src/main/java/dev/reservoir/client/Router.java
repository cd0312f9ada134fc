package dev.reservoir.client;

import dev.reservoir.protocol.Task;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.spec.Dispatch;

/**
 * Where a task goes: the pool's routing, chosen once per pool handle. Shared-queue routing writes to
 * the pool's one stream. Chosen-worker routing (RoundRobin, Random) will pick a live worker from the
 * heartbeats and write to its inbox; it slots in here without changing the Pool API.
 */
interface Router {
    byte[][] xaddArgs(Task task);

    /** The routing of the pool whose queue operations are {@code queue} (shared with its Pool handle). */
    static Router of(Dispatch dispatch, PoolQueue queue) {
        return switch (dispatch) {
            case SharedQueue -> queue::xaddArgs;
            case RoundRobin, Random -> throw new UnsupportedOperationException("dispatch " + dispatch
                    + " (chosen-worker routing) is not built into the client yet: use SharedQueue for pool " + queue.keys().pool());
        };
    }
}
