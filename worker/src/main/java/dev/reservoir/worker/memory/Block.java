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
 * <p>A lease starts with the whole block zeroed: the pool clears it on every release, before another lease
 * can take it, so a holder never sees bytes an earlier holder wrote ({@link #releaseWritten} clears only
 * the prefix its caller wrote). A stale holder that writes after its release writes into the next
 * holder's block; only not keeping references prevents that.
 */
public final class Block extends BlockFields {
    static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Block.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused")
    private long q00, q01, q02, q03, q04, q05, q06, q07; // see BlockPad

    Block(MemoryPool pool, int index, MemorySegment segment) {
        super(pool, index, segment);
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
        pool.release(this, segment.byteSize());
    }

    /**
     * As {@link #release()}, for a holder that wrote nothing past the first {@code writtenBytes} bytes (and
     * handed no one else a writable view of the rest): only those are cleared, which costs in proportion to
     * what was written rather than to the block size. The worker runtime releases a payload block this way:
     * it writes the payload, and the handler sees it read-only.
     *
     * @throws IllegalStateException    if the block is not leased (released twice)
     * @throws IllegalArgumentException if {@code writtenBytes} is negative or larger than the block
     */
    public void releaseWritten(long writtenBytes) {
        if (writtenBytes < 0 || writtenBytes > segment.byteSize()) {
            throw new IllegalArgumentException("writtenBytes " + writtenBytes + " is not within the block's " + segment.byteSize() + " bytes");
        }
        pool.release(this, writtenBytes);
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

/**
 * Padding before a block's fields. The runtime writes {@code state} (and owner, whereTaken) on every lease and
 * release; two blocks whose objects share a cache line, each in use by a thread on another core, would bounce
 * that line on every operation, and after a few steals which blocks sit on top of each stripe's stack is
 * arbitrary. 64 bytes each side, plus the segment object allocated between two blocks, keep neighbours'
 * fields two lines apart, for 128 bytes of heap per block: little next to the block itself. Whether false
 * sharing costs anything depends on the host (docs/benchmarks.md, "Memory pool"); where it does, the padding
 * keeps one thread's leases from slowing another's.
 */
@SuppressWarnings("unused")
abstract class BlockPad {
    private long p00, p01, p02, p03, p04, p05, p06, p07;
}

/** A block's fields between padding; see {@link Block} for what guards each. */
abstract class BlockFields extends BlockPad {
    final MemoryPool pool;
    final int index;
    final MemorySegment segment;

    /**
     * {@code generation << 1 | leasedBit}. Lease: FREE(g) → LEASED(g+1) by the one thread that popped the
     * block from a free stack (a release-store). Release: LEASED(g) → FREE(g) by CAS, so of two racing
     * releases exactly one wins. The generation lets a scope release only the lease it took.
     */
    volatile long state;

    /** Index of the next block in a stripe's free stack (-1: none); guarded by the lock of the stripe whose stack holds this block. */
    int nextFree = -1;

    /**
     * Who holds the lease and where it was taken (may be null). Written by the leasing thread before the
     * release-store of LEASED, read by leak reporting after it has read LEASED.
     */
    String owner;
    Throwable whereTaken;

    BlockFields(MemoryPool pool, int index, MemorySegment segment) {
        this.pool = pool;
        this.index = index;
        this.segment = segment;
    }
}
