package dev.reservoir.protocol;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A worker's heartbeat record ({@link PoolKeys#worker(String)}), rewritten every heartbeat
 * interval with a TTL of a few intervals, so a record that stops changing disappears.
 * The operator and the CLI read it to see which workers are idle, busy or draining.
 *
 * @param jitMillis optional diagnostic ({@link #JIT_MS}): {@link #JIT_UNKNOWN} when the worker
 *                  did not write it; nothing but diagnostics may depend on it
 */
public record Heartbeat(String workerId, WorkerState state, int threads, int busyThreads, int inFlight,
                        long completed, long failed, long memoryBlocksInUse, long memoryBlocksCapacity,
                        long memoryBlocksMax, long memoryHighWater, String host, long pid, long startedAt, long updatedAt,
                        long jitMillis) {

    public static final String ID = "id";
    public static final String STATE = "state";
    public static final String THREADS = "threads";
    public static final String BUSY = "busy";
    public static final String IN_FLIGHT = "in_flight";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String MEM_IN_USE = "mem_blocks_in_use";
    public static final String MEM_CAPACITY = "mem_blocks_capacity";
    public static final String MEM_MAX = "mem_blocks_max";
    public static final String MEM_HIGH_WATER = "mem_high_water";
    public static final String HOST = "host";
    public static final String PID = "pid";
    public static final String STARTED = "started";
    public static final String UPDATED = "updated";
    /**
     * Optional diagnostic field: milliseconds the worker JVM's JIT compilers have worked since it started
     * (still growing: still warming up). Workers may omit it, and no consumer may depend on it: the
     * end-to-end benchmark reads it to know when the workers' JIT has settled, and does without it.
     */
    public static final String JIT_MS = "jit_ms";
    /** {@link #jitMillis()} of a heartbeat without {@link #JIT_MS}. */
    public static final long JIT_UNKNOWN = -1;

    public boolean reportsJit() {
        return jitMillis >= 0;
    }

    /** A worker is idle when it is running and has nothing claimed. */
    public boolean idle() {
        return state == WorkerState.RUNNING && inFlight == 0;
    }

    public Map<String, String> toFields() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put(ID, workerId);
        f.put(STATE, state.name());
        f.put(THREADS, Integer.toString(threads));
        f.put(BUSY, Integer.toString(busyThreads));
        f.put(IN_FLIGHT, Integer.toString(inFlight));
        f.put(COMPLETED, Long.toString(completed));
        f.put(FAILED, Long.toString(failed));
        f.put(MEM_IN_USE, Long.toString(memoryBlocksInUse));
        f.put(MEM_CAPACITY, Long.toString(memoryBlocksCapacity));
        f.put(MEM_MAX, Long.toString(memoryBlocksMax));
        f.put(MEM_HIGH_WATER, Long.toString(memoryHighWater));
        f.put(HOST, host == null ? "" : host);
        f.put(PID, Long.toString(pid));
        f.put(STARTED, Long.toString(startedAt));
        f.put(UPDATED, Long.toString(updatedAt));
        if (reportsJit()) {
            f.put(JIT_MS, Long.toString(jitMillis));
        }
        return f;
    }

    public static Heartbeat fromFields(Map<String, String> f) {
        Map<String, byte[]> b = new LinkedHashMap<>();
        f.forEach((k, v) -> b.put(k, v.getBytes(StandardCharsets.UTF_8)));
        WorkerState state;
        try {
            state = WorkerState.valueOf(Task.requiredText(b, STATE));
        } catch (IllegalArgumentException e) {
            throw new MalformedEntryException(STATE, "unknown worker state '" + f.get(STATE) + "'");
        }
        return new Heartbeat(Task.requiredText(b, ID), state, (int) num(b, THREADS), (int) num(b, BUSY), (int) num(b, IN_FLIGHT),
                num(b, COMPLETED), num(b, FAILED), num(b, MEM_IN_USE), num(b, MEM_CAPACITY), num(b, MEM_MAX), num(b, MEM_HIGH_WATER),
                f.getOrDefault(HOST, ""), num(b, PID), num(b, STARTED), num(b, UPDATED),
                Task.optionalLong(b, JIT_MS, JIT_UNKNOWN, 0, Long.MAX_VALUE));
    }

    private static long num(Map<String, byte[]> b, String field) {
        return Task.optionalLong(b, field, 0, Long.MIN_VALUE, Long.MAX_VALUE);
    }
}
