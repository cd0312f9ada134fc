package dev.reservoir.worker.memory;

import dev.reservoir.spec.SettingDefaults;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link MemoryPool}; the names match the {@code memoryPool} section of a WorkerPool spec.
 *
 * @param blockSize     bytes per block: a positive multiple of 8 (so longs in a block are aligned)
 * @param initialBlocks blocks allocated at start (one slab); also the size of each growth slab
 * @param maxBlocks     the cap: the pool grows by slabs up to this many blocks, then applies back-pressure
 * @param leakDetection how much each lease records for leak reports
 * @param leaseTimeout  how long {@link LeaseScope#scratch()} waits for a block when the pool is at maxBlocks
 */
public record MemoryPoolConfig(int blockSize, int initialBlocks, int maxBlocks, LeakDetection leakDetection,
                               Duration leaseTimeout) {

    /** The pool's setting bound (memoryPool.maxBlocks): beyond it the per-block bookkeeping stops being small. */
    public static final int MAX_BLOCKS_LIMIT = SettingDefaults.MAX_BLOCKS_MAX;
    public static final Duration DEFAULT_LEASE_TIMEOUT = Duration.ofSeconds(10);

    public MemoryPoolConfig {
        if (blockSize <= 0 || blockSize % 8 != 0) {
            throw new IllegalArgumentException("memoryPool.blockSize must be a positive multiple of 8 bytes, got "
                    + blockSize + " (e.g. 65536 for 64Ki)");
        }
        if (initialBlocks < 1) {
            throw new IllegalArgumentException("memoryPool.blocks (initialBlocks) must be at least 1, got " + initialBlocks);
        }
        if (maxBlocks < initialBlocks) {
            throw new IllegalArgumentException("memoryPool.maxBlocks must be at least memoryPool.blocks (" + initialBlocks
                    + "), got " + maxBlocks + ": raise maxBlocks or lower blocks");
        }
        if (maxBlocks > MAX_BLOCKS_LIMIT) {
            throw new IllegalArgumentException("memoryPool.maxBlocks must be at most " + MAX_BLOCKS_LIMIT + ", got " + maxBlocks
                    + ": use a larger memoryPool.blockSize instead");
        }
        if (leakDetection == null) {
            throw new IllegalArgumentException("memoryPool.leakDetection must be one of OFF, SAMPLED, PARANOID, got null");
        }
        if (leaseTimeout == null || leaseTimeout.isNegative()) {
            throw new IllegalArgumentException("memoryPool.leaseTimeout must be zero or positive, got " + leaseTimeout);
        }
    }

    /** Without a lease timeout: {@link #DEFAULT_LEASE_TIMEOUT}. */
    public MemoryPoolConfig(int blockSize, int initialBlocks, int maxBlocks, LeakDetection leakDetection) {
        this(blockSize, initialBlocks, maxBlocks, leakDetection, DEFAULT_LEASE_TIMEOUT);
    }

    /** The architecture brief's example: 64Ki blocks, 256 at start, up to 1024, sampled leak detection. */
    public static MemoryPoolConfig defaults() {
        return new MemoryPoolConfig(64 * 1024, 256, 1024, LeakDetection.SAMPLED);
    }

    public MemoryPoolConfig withLeakDetection(LeakDetection detection) {
        return new MemoryPoolConfig(blockSize, initialBlocks, maxBlocks, Objects.requireNonNull(detection), leaseTimeout);
    }

    public MemoryPoolConfig withLeaseTimeout(Duration timeout) {
        return new MemoryPoolConfig(blockSize, initialBlocks, maxBlocks, leakDetection, timeout);
    }

    /** Bytes the pool may hold at most: {@code blockSize * maxBlocks}. */
    public long maxBytes() {
        return (long) blockSize * maxBlocks;
    }
}
