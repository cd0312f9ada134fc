package dev.reservoir.worker.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The memory of a {@link MemoryPool}: one shared {@link Arena}, the slabs allocated from it, and the
 * {@link Block} object of every block sliced from them.
 *
 * <h2>Layout</h2>
 * <pre>
 *   Arena (shared) ── slab 0: blocks [0, initialBlocks)                   allocated with the pool
 *                 ├─ slab 1: blocks [initialBlocks, 2·initialBlocks)      on demand, one slab per growth
 *                 └─ ...     up to maxBlocks blocks in all (the last slab may be smaller); never more
 *   blocks[i]     one Block object per index, created with its slab, reused for every lease
 * </pre>
 * Slabs are page-aligned and blocks are {@code blockSize} apart ({@code blockSize} is a multiple of 8),
 * so every block is 8-byte aligned. Memory is never given back before {@link #close()}: the pool's size
 * only grows (invariant 3 of {@link MemoryPool}), which is what lets a block keep its index for life.
 *
 * <h2>What guards what</h2>
 * <ul>
 *   <li>{@code blocks} slots and {@code allocated}: written under {@code growLock} only. {@code allocated}
 *       is volatile and written after the slab's slots, so a reader that sees it sees them.</li>
 *   <li>{@code growLock}: also held by {@link MemoryPool#close()} to mark the pool closed, and checked by
 *       growth under it, so no slab is allocated from an arena that is being closed.</li>
 *   <li>{@code growths}, {@code growthFailure}: written under {@code growLock}, read without it (volatile)
 *       by statistics and by the exhausted message.</li>
 * </ul>
 */
final class SlabArena {
    private static final System.Logger LOG = System.getLogger(MemoryPool.class.getName());
    private static final long SLAB_ALIGNMENT = 4096;

    private final MemoryPool pool;
    private final int blockSize;
    private final int maxBlocks;
    private final Arena arena = Arena.ofShared();

    /** Index → block, {@code maxBlocks} long; slots below {@link #allocated} are set. */
    final Block[] blocks;
    /** Blocks in published slabs. */
    private volatile int allocated;
    final ReentrantLock growLock = new ReentrantLock();
    /** Slabs published after the first. */
    private volatile long growths;
    /** Why the last growth failed (native memory refused), for the exhausted message; null normally. */
    private volatile String growthFailure;

    SlabArena(MemoryPool pool, Block[] blocks, int blockSize) {
        this.pool = pool;
        this.blocks = blocks;
        this.blockSize = blockSize;
        this.maxBlocks = blocks.length;
    }

    int allocated() {
        return allocated;
    }

    boolean full() {
        return allocated >= maxBlocks;
    }

    long growths() {
        return growths;
    }

    String growthFailure() {
        return growthFailure;
    }

    /**
     * Allocates, slices and registers the next n blocks; they are in no stripe and not counted in
     * {@link #allocated()} until {@link #publish}. Caller holds growLock.
     *
     * @throws OutOfMemoryError if the native memory is refused
     */
    Block[] allocate(int n) {
        assert growLock.isHeldByCurrentThread();
        int base = allocated;
        assert base + n <= maxBlocks : "slab beyond maxBlocks";
        MemorySegment slab = arena.allocate((long) n * blockSize, SLAB_ALIGNMENT);
        Block[] made = new Block[n];
        for (int i = 0; i < n; i++) {
            Block b = new Block(pool, base + i, slab.asSlice((long) i * blockSize, blockSize));
            made[i] = b;
            blocks[base + i] = b;
        }
        return made;
    }

    /**
     * As {@link #allocate}, for a growth: null if the native memory is refused. Native memory is then a
     * hard limit below maxBlocks: the pool stays at its size and back-pressure works as at maxBlocks.
     */
    Block[] tryGrow(int n) {
        try {
            return allocate(n);
        } catch (OutOfMemoryError e) {
            int base = allocated;
            growthFailure = "growing by " + n + " blocks (" + (long) n * blockSize + " bytes) failed: " + e.getMessage();
            LOG.log(System.Logger.Level.WARNING, "memory pool: " + growthFailure + "; staying at " + base + " blocks");
            return null;
        }
    }

    /** Counts a slab from {@link #allocate} as allocated: its blocks are in a stripe now. Caller holds growLock. */
    void publish(Block[] slab) {
        assert growLock.isHeldByCurrentThread();
        if (allocated > 0) {
            growths++; // written under growLock only
        }
        allocated += slab.length;
    }

    /** Frees all memory: a segment of the pool used afterwards throws instead of touching freed memory. */
    void close() {
        arena.close();
    }
}
