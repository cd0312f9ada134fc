package dev.reservoir.spec;

import dev.reservoir.protocol.MemoryPoolDefaults;
import dev.reservoir.protocol.Quantities;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What every worker of a pool is told, with defaults applied and bounds checked: read from a
 * WorkerPool spec by the operator and by local mode, carried to each worker as environment
 * variables ({@link #toEnv()}), and read back by the worker ({@link #fromEnv}). Both directions use
 * the one table in {@link Setting}, so {@code fromEnv(s.toEnv())} is {@code s} for every valid
 * {@code s}.
 *
 * @param blocks    memoryPool.blocks as set; null: the worker derives it ({@link #effectiveBlocks()})
 * @param maxBlocks memoryPool.maxBlocks as set; null: the worker derives it ({@link #effectiveMaxBlocks()})
 * @param retention what the pool keeps after its tasks end (queue.resultTtl, maxResults, deadLetterTtl, maxDeadLetters)
 */
public record PoolSettings(int threads, ThreadMode threadMode, int prefetch, long blockSize, Integer blocks, Integer maxBlocks,
                           Duration visibilityTimeout, int maxAttempts, Dispatch dispatch, long maxTasksPerWorker,
                           Duration drainTimeout, Duration taskTimeout, Retention retention) {

    /** Every default: what an empty spec and an empty environment both mean. */
    public static PoolSettings defaults() {
        List<String> problems = new ArrayList<>();
        PoolSettings s = read(SettingReader.ofEnv(Map.of(), problems));
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the defaults in Setting are invalid: " + problems);
        }
        return s;
    }

    /**
     * Reads the worker settings from a source, recording a problem per bad field in the reader.
     * The result is meaningful only when no problem was recorded.
     */
    public static PoolSettings read(SettingReader r) {
        int threads = (int) r.count(Setting.THREADS);
        ThreadMode threadMode = ThreadMode.valueOf(r.choice(Setting.THREAD_MODE).toUpperCase(Locale.ROOT));
        int prefetch = (int) r.count(Setting.PREFETCH);
        long blockSize = r.bytes(Setting.BLOCK_SIZE);
        if (blockSize % 8 != 0) {
            // Longs in a block must be aligned: the memory pool refuses other sizes.
            r.problem(Setting.BLOCK_SIZE, blockSize + " bytes is not a multiple of 8: use e.g. 64Ki or 4096");
        }
        int before = r.problems().size();
        Long blocks = r.optionalCount(Setting.BLOCKS);
        Long maxBlocks = r.optionalCount(Setting.MAX_BLOCKS);
        // Compared only when both are in range: a replaced out-of-range value would add a second, misleading message.
        if (maxBlocks != null && r.problems().size() == before) {
            int derived = MemoryPoolDefaults.blocks(threads, prefetch);
            if (blocks != null && maxBlocks < blocks) {
                r.problem(Setting.MAX_BLOCKS, maxBlocks + " is less than blocks (" + blocks + "): raise maxBlocks");
            } else if (blocks == null && maxBlocks < derived) {
                r.problem(Setting.MAX_BLOCKS, maxBlocks + " is less than blocks (" + derived
                        + ", derived by the worker as max(16, 2 x (threads + prefetch))): raise maxBlocks or set blocks");
            }
        }
        Duration visibility = r.duration(Setting.VISIBILITY_TIMEOUT);
        int maxAttempts = (int) r.count(Setting.MAX_ATTEMPTS);
        Dispatch dispatch = Dispatch.valueOf(r.choice(Setting.DISPATCH));
        long maxTasks = r.count(Setting.MAX_TASKS_PER_WORKER);
        Duration drain = r.duration(Setting.DRAIN_TIMEOUT);
        Duration taskTimeout = r.duration(Setting.TASK_TIMEOUT);
        Retention retention = new Retention(r.duration(Setting.RESULT_TTL), r.count(Setting.MAX_RESULTS),
                r.duration(Setting.DEAD_LETTER_TTL), r.count(Setting.MAX_DEAD_LETTERS));
        return new PoolSettings(threads, threadMode, prefetch, blockSize, blocks == null ? null : blocks.intValue(),
                maxBlocks == null ? null : maxBlocks.intValue(), visibility, maxAttempts, dispatch, maxTasks, drain, taskTimeout, retention);
    }

    /** Reads a worker's environment ({@code RESERVOIR_*}), adding a problem per bad variable. */
    public static PoolSettings fromEnv(Map<String, String> env, List<String> problems) {
        return read(SettingReader.ofEnv(env, problems));
    }

    /**
     * The environment variables that carry these settings to a worker, in {@link Setting} order.
     * Unset block counts are left out, so the worker derives them as it would with no spec at all.
     */
    public Map<String, String> toEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(Setting.THREADS.env(), Integer.toString(threads));
        env.put(Setting.THREAD_MODE.env(), threadMode.wire());
        env.put(Setting.PREFETCH.env(), Integer.toString(prefetch));
        env.put(Setting.BLOCK_SIZE.env(), Quantities.formatBytes(blockSize));
        if (blocks != null) {
            env.put(Setting.BLOCKS.env(), Integer.toString(blocks));
        }
        if (maxBlocks != null) {
            env.put(Setting.MAX_BLOCKS.env(), Integer.toString(maxBlocks));
        }
        env.put(Setting.VISIBILITY_TIMEOUT.env(), Quantities.formatDuration(visibilityTimeout));
        env.put(Setting.MAX_ATTEMPTS.env(), Integer.toString(maxAttempts));
        env.put(Setting.RESULT_TTL.env(), Quantities.formatDuration(retention.resultTtl()));
        env.put(Setting.MAX_RESULTS.env(), Long.toString(retention.maxResults()));
        env.put(Setting.DEAD_LETTER_TTL.env(), Quantities.formatDuration(retention.deadLetterTtl()));
        env.put(Setting.MAX_DEAD_LETTERS.env(), Long.toString(retention.maxDeadLetters()));
        env.put(Setting.DISPATCH.env(), dispatch.name());
        env.put(Setting.MAX_TASKS_PER_WORKER.env(), Long.toString(maxTasksPerWorker));
        env.put(Setting.DRAIN_TIMEOUT.env(), Quantities.formatDuration(drainTimeout));
        env.put(Setting.TASK_TIMEOUT.env(), Quantities.formatDuration(taskTimeout));
        return env;
    }

    /** Claim slots: a worker never holds more claimed tasks than threads + prefetch. */
    public int slots() {
        return threads + prefetch;
    }

    /** The blocks a worker allocates up front: as set, or derived from threads + prefetch (each claimed task's payload needs one). */
    public int effectiveBlocks() {
        return blocks != null ? blocks : MemoryPoolDefaults.blocks(threads, prefetch);
    }

    /** The cap a worker's memory pool grows to: as set, or derived. */
    public int effectiveMaxBlocks() {
        return maxBlocks != null ? maxBlocks : MemoryPoolDefaults.maxBlocks(effectiveBlocks(), threads, prefetch);
    }

    public PoolSettings withThreads(int n) {
        return new PoolSettings(n, threadMode, prefetch, blockSize, blocks, maxBlocks, visibilityTimeout, maxAttempts, dispatch,
                maxTasksPerWorker, drainTimeout, taskTimeout, retention);
    }

    public PoolSettings withPrefetch(int n) {
        return new PoolSettings(threads, threadMode, n, blockSize, blocks, maxBlocks, visibilityTimeout, maxAttempts, dispatch,
                maxTasksPerWorker, drainTimeout, taskTimeout, retention);
    }

    public PoolSettings withVisibilityTimeout(Duration d) {
        return new PoolSettings(threads, threadMode, prefetch, blockSize, blocks, maxBlocks, d, maxAttempts, dispatch,
                maxTasksPerWorker, drainTimeout, taskTimeout, retention);
    }

    public PoolSettings withMaxTasksPerWorker(long n) {
        return new PoolSettings(threads, threadMode, prefetch, blockSize, blocks, maxBlocks, visibilityTimeout, maxAttempts, dispatch,
                n, drainTimeout, taskTimeout, retention);
    }

    public PoolSettings withDrainTimeout(Duration d) {
        return new PoolSettings(threads, threadMode, prefetch, blockSize, blocks, maxBlocks, visibilityTimeout, maxAttempts, dispatch,
                maxTasksPerWorker, d, taskTimeout, retention);
    }

    public PoolSettings withTaskTimeout(Duration d) {
        return new PoolSettings(threads, threadMode, prefetch, blockSize, blocks, maxBlocks, visibilityTimeout, maxAttempts, dispatch,
                maxTasksPerWorker, drainTimeout, d, retention);
    }
}
