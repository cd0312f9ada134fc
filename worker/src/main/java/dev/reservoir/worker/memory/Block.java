package dev.reservoir.worker.memory;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One equal-size off-heap block of a {@link MemoryPool}. There is exactly one {@code Block} object per block
 * index for the pool's life: leasing hands out that object again (no allocation), so a reference kept after
 * {@link #release()} is stale. A stale holder releasing again while the block is FREE gets an
 * {@link IllegalStateException}; one releasing after the block was leased again would release the new
 * holder's lease, which no allocation-free design can tell apart. Scopes ({@link LeaseScope}) are safe:
 * they release by lease generation.
 *
 * <p>The bytes are not cleared between leases.
 */
public final class Block {
    static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Block.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final MemoryPool pool;
    final int index;
    final MemorySegment segment;

    /**
     * {@code generation << 1 | leasedBit}. Lease: FREE(g) → LEASED(g+1) by the one thread that popped the
     * block from a free stack (a release-store). Release: LEASED(g) → FREE(g) by CAS, so of two racing
     * releases exactly one wins. The generation lets a scope release only the lease it took.
     */
    volatile long state;

    /** Link in a stripe's free stack; guarded by the lock of the stripe whose stack holds this block. */
    Block nextFree;

    /**
     * Who holds the lease and where it was taken (may be null). Written by the leasing thread before the
     * release-store of LEASED, read by leak reporting after it has read LEASED.
     */
    String owner;
    Throwable whereTaken;

    Block(MemoryPool pool, int index, MemorySegment segment) {
        this.pool = pool;
        this.index = index;
        this.segment = segment;
    }

    /** The block's memory: {@code blockSize} bytes, 8-byte aligned; valid until the pool closes. */
    public MemorySegment segment() {
        return segment;
    }

    /** This block's index in the pool, 0 to {@code blocksAllocated - 1}. */
    public int index() {
        return index;
    }

    /**
     * Returns the block to the pool; may be called on any thread.
     *
     * @throws IllegalStateException if the block is not leased (released twice)
     */
    public void release() {
        pool.release(this);
    }

    static boolean isLeased(long state) {
        return (state & 1L) != 0;
    }

    @Override
    public String toString() {
        long s = state;
        return "Block[" + index + (isLeased(s) ? ", leased" : ", free") + ", generation " + (s >>> 1) + "]";
    }
}
