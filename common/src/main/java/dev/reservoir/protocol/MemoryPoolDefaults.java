package dev.reservoir.protocol;

import dev.reservoir.spec.SettingDefaults;

/**
 * The memory pool's block counts when a WorkerPool leaves them unset: the worker derives them, and the
 * operator (to size the pod) and local mode (to check and show them) compute the same numbers here.
 * They scale with the claim bound because each claimed task's payload is read into a block.
 */
public final class MemoryPoolDefaults {
    /** Most blocks a pool may start with (RESERVOIR_MEMORY_BLOCKS, memoryPool.blocks). */
    public static final int MAX_BLOCKS_LIMIT_START = SettingDefaults.BLOCKS_MAX;
    /** Most blocks a pool may grow to (RESERVOIR_MEMORY_MAX_BLOCKS, memoryPool.maxBlocks). */
    public static final int MAX_BLOCKS_LIMIT = SettingDefaults.MAX_BLOCKS_MAX;

    private MemoryPoolDefaults() {
    }

    /** Blocks allocated at start: max(16, 2 × (threads + prefetch)). */
    public static int blocks(int threads, int prefetch) {
        return (int) Math.min(MAX_BLOCKS_LIMIT_START, Math.max(16, 2L * (threads + prefetch)));
    }

    /** The cap the pool grows to: max(blocks, 4 × (threads + prefetch)). */
    public static int maxBlocks(int blocks, int threads, int prefetch) {
        return (int) Math.min(MAX_BLOCKS_LIMIT, Math.max(blocks, 4L * (threads + prefetch)));
    }
}
