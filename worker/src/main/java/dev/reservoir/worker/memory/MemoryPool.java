package dev.reservoir.worker.memory;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The worker's off-heap memory pool: equal-size blocks sliced from slabs of one shared arena, handed out
 * by a striped free list, with back-pressure at a fixed maximum and leak reports for leases never given
 * back. This class is the pool's API and lifecycle and the one place that moves a block between its
 * states; the parts are:
 *
 * <h2>Layout</h2>
 * <pre>
 *   MemoryPool          extends StripedFreeList: stripes[s], free stacks (LIFO, linked by block index) behind
 *     │                 one-word spin locks, each Stripe on cache lines of its own; the sampled high-water mark
 *     ├─ SlabArena      the Arena, its slabs, blocks[i] (one Block object per index, for life), growLock
 *     ├─ LeaseWaiters   leases waiting at maxBlocks, and the releasers that wake them
 *     └─ LeakTracker    where leases were taken (per the LeakDetection level), leak reports
 * </pre>
 * The free list is the superclass rather than a field so that a lease and a release read the stripes
 * straight from the pool object: through a field, each pays one more dependent load, which the hot path
 * shows (docs/benchmarks.md, "Memory pool").
 *
 * <h2>State machine of a block</h2>
 * <pre>
 *   FREE(g) ──lease: pop from a stripe, then release-store──▶ LEASED(g+1) ──release: CAS──▶ FREE(g+1) ──zero, push──▶ (in a stripe)
 *                                                          └──scope close / pool close: reported as a leak
 * </pre>
 * {@code Block.state = generation << 1 | leased}. Only the thread that popped a block may lease it; the
 * release CAS makes a double release fail with {@link IllegalStateException} before it can reach a free
 * stack, so the free stacks are never corrupted. A scope releases "the lease of generation g" by CAS, so it
 * can never release a later lease of the same block.
 *
 * <h2>Invariants (checked by {@link #checkInvariants()} under {@code -ea})</h2>
 * <ol>
 *   <li>Every block is either in exactly one stripe's free stack and FREE, or not in any stack (leased, or
 *       between its release CAS and its push).</li>
 *   <li>{@code stripe.free} is the length of its stack; {@code Σ stripe.free + Σ stripe.net == allocated}:
 *       {@code net} counts blocks that left the stripe (leases, steals out) minus blocks that entered it
 *       (releases, steals in), so {@code Σ net} is the number of blocks in use.</li>
 *   <li>{@code allocated} only grows, by slabs, and never exceeds {@code maxBlocks}.</li>
 *   <li>A FREE block holds only zeros: the arena zeroes a new slab, and a release zeroes the block between
 *       its release CAS and its push (all of it, or the prefix a {@link Block#releaseWritten} holder says it
 *       wrote). So a lease sees no byte of an earlier lease (of another task); it sees zeros wherever its
 *       own holder has not written.</li>
 * </ol>
 *
 * <h2>What guards what</h2>
 * <ul>
 *   <li>Stripe fields: the stripe's lock ({@link Stripe}); at most one held at a time, except while
 *       checking invariants ({@link StripedFreeList}).</li>
 *   <li>{@code blocks}, {@code allocated}, slab creation, and {@code closed} here: {@code SlabArena.growLock}
 *       for writes; {@code allocated} and {@code closed} are volatile so readers see a fully built slab and
 *       a closing pool ({@link SlabArena}).</li>
 *   <li>{@code waiters}: {@link LeaseWaiters} (written under its lock, read by releasers after their push).</li>
 *   <li>{@code highWater}: CAS-max, sampled ({@link StripedFreeList}).</li>
 *   <li>Block fields: {@code state} by the state machine above; {@code owner} and {@code whereTaken} by
 *       the leasing thread before it publishes LEASED ({@link Block}).</li>
 * </ul>
 *
 * <h2>Back-pressure</h2>
 * A lease tries its home stripe, then the others; if all are empty it grows by a slab while below
 * {@code maxBlocks}; at {@code maxBlocks} it waits for at most its {@code maxWait}, then throws
 * {@link MemoryPoolExhaustedException}. Waiting is not fair ({@link LeaseWaiters}).
 */
public final class MemoryPool extends StripedFreeList implements AutoCloseable {
    /** Under {@link LeakDetection#SAMPLED}, one lease in this many records where it was taken. */
    public static final int SAMPLE_ONE_IN = 100;

    private final MemoryPoolConfig config;
    private final int blockSize;
    private final int maxBlocks;
    private final LeakDetection leakDetection;
    private final SlabArena slabs;
    private final LeaseWaiters waiters = new LeaseWaiters();
    private final LeakTracker leaks = new LeakTracker();

    /** Set once by close(), under slabs.growLock. */
    private volatile boolean closed;

    public MemoryPool(MemoryPoolConfig config) {
        Objects.requireNonNull(config, "memoryPool config");
        super(new Block[config.maxBlocks()]);
        this.config = config;
        this.blockSize = config.blockSize();
        this.maxBlocks = config.maxBlocks();
        this.leakDetection = config.leakDetection();
        this.slabs = new SlabArena(this, blocks, blockSize);
        slabs.growLock.lock();
        try {
            Block[] slab = slabs.allocate(config.initialBlocks());
            stockEvenly(slab);
            slabs.publish(slab);
        } finally {
            slabs.growLock.unlock();
        }
        assert checkInvariants();
    }

    public int blockSize() {
        return blockSize;
    }

    public MemoryPoolConfig config() {
        return config;
    }

    /**
     * A free block, growing by a slab if none is free and the pool is below {@code maxBlocks}.
     *
     * @return the block, or {@code null} when none is free and the pool is at {@code maxBlocks}
     * @throws IllegalStateException if the pool is closed
     */
    public Block tryLease() {
        return tryLease(null);
    }

    Block tryLease(String owner) {
        ensureOpen();
        Block b = take();
        if (b == null) {
            b = takeOrGrow();
            if (b == null) {
                return null;
            }
        }
        return handOut(b, owner, true);
    }

    /**
     * A free block; grows by a slab if none is free and the pool is below {@code maxBlocks}, else waits up to
     * {@code maxWait} for one to be released (counted in {@link MemoryPoolStats#waits()}).
     *
     * @throws MemoryPoolExhaustedException if none was released within {@code maxWait}; the message names
     *                                      blockSize and maxBlocks and what to raise
     * @throws IllegalStateException        if the pool is or becomes closed
     */
    public Block lease(Duration maxWait) throws MemoryPoolExhaustedException, InterruptedException {
        return lease(maxWait, null);
    }

    Block lease(Duration maxWait, String owner) throws MemoryPoolExhaustedException, InterruptedException {
        return lease(maxWait, owner, true);
    }

    /**
     * As {@link #lease(Duration)}, for a caller that releases the block in a {@code finally} of its own
     * (the worker runtime's payload block): such a lease cannot leak, so where it was taken is never
     * recorded, whatever the leak detection level (recording a stack is the one costly thing a lease can
     * do). {@code owner} names the lease if the pool closes while it is held.
     */
    public Block leaseUntracked(Duration maxWait, String owner) throws MemoryPoolExhaustedException, InterruptedException {
        return lease(maxWait, owner, false);
    }

    private Block lease(Duration maxWait, String owner, boolean mayTrace) throws MemoryPoolExhaustedException, InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait");
        ensureOpen();
        Block b = take();
        if (b == null) {
            b = takeOrGrow();
            if (b == null) {
                b = waiters.await(this, maxWait);
            }
        }
        return handOut(b, owner, mayTrace);
    }

    /** The wait {@link LeaseScope#scratch()} uses: {@link MemoryPoolConfig#leaseTimeout()}. */
    public Duration leaseTimeout() {
        return config.leaseTimeout();
    }

    /** A per-task scope; see {@link LeaseScope}. */
    public LeaseScope openScope(String owner) {
        ensureOpen();
        return new LeaseScope(this, Objects.requireNonNull(owner, "owner"));
    }

    /**
     * Called for every leak reported from then on. Without a listener, leaks are logged as warnings
     * ({@code System.Logger} {@code dev.reservoir.worker.memory.MemoryPool}).
     */
    public void onLeak(Consumer<LeakReport> listener) {
        leaks.onLeak(listener);
    }

    // ---------------------------------------------------------------------------------------------
    // Lease: the slow path and the hand-out

    /**
     * Every stripe, waiting for each lock, then a new slab if below maxBlocks. Null when nothing is free
     * and the pool cannot grow. The slow path of a lease, and each round of a wait in {@link LeaseWaiters}.
     */
    Block takeOrGrow() {
        Block b = takeWaiting();
        if (b != null || slabs.full()) {
            return b;
        }
        slabs.growLock.lock();
        try {
            b = takeWaiting(); // another thread may have grown while we waited for growLock
            if (b == null && !slabs.full() && !closed) {
                b = grow();
            }
            return b;
        } finally {
            slabs.growLock.unlock();
        }
    }

    /** Caller holds growLock and has seen the pool below maxBlocks. A block of a new slab, or null if native memory was refused. */
    private Block grow() {
        int n = Math.min(config.initialBlocks(), maxBlocks - slabs.allocated());
        Block[] slab = slabs.tryGrow(n);
        if (slab == null) {
            return null;
        }
        Block b = stockAndTake(slab);
        slabs.publish(slab);
        sampleHighWater(); // the pool was empty: a likely high-water moment
        assert checkInvariants();
        return b;
    }

    MemoryPoolExhaustedException exhausted(Duration maxWait) {
        int alloc = slabs.allocated();
        String failure = slabs.growthFailure();
        String message = "memory pool exhausted: no block of memoryPool.blockSize=" + blockSize + " bytes was released within "
                + maxWait + "; all " + alloc + " blocks are leased"
                + (alloc >= maxBlocks ? " and the pool is at memoryPool.maxBlocks=" + maxBlocks : "")
                + " (" + (long) alloc * blockSize / (1024 * 1024) + " MiB)"
                + (failure != null ? "; " + failure : "")
                + ". Raise memoryPool.maxBlocks (or blockSize), run fewer threads per worker, or release blocks sooner"
                + " (a lease held past its task is a leak: see the pool's leak reports)";
        return new MemoryPoolExhaustedException(message, blockSize, maxBlocks, maxWait);
    }

    /** The popping thread owns the block now: record owner and where-taken, then publish LEASED. */
    private Block handOut(Block b, String owner, boolean mayTrace) {
        long s = b.state;
        assert !Block.isLeased(s) : "block " + b.index + " was leased while in a free stack";
        b.owner = owner;
        b.whereTaken = leakDetection == LeakDetection.OFF || !mayTrace ? null : LeakTracker.maybeTrace(leakDetection, b.index);
        Block.STATE.setRelease(b, s + 3); // generation + 1, leased bit set
        return b;
    }

    // ---------------------------------------------------------------------------------------------
    // Release

    /** Releases {@code b}, zeroing its first {@code writtenBytes} bytes ({@code blockSize}: all of them). */
    void release(Block b, long writtenBytes) {
        long s = b.state;
        if (!Block.isLeased(s) || !Block.STATE.compareAndSet(b, s, s - 1)) {
            throw new IllegalStateException("memory block " + b.index + " released twice (it is not leased)"
                    + (closed ? "; the pool is closed" : ""));
        }
        giveBack(b, writtenBytes);
    }

    /** Releases the lease of that exact state (generation) if still held; true if it was. */
    boolean releaseIfStillLeased(Block b, long leasedState) {
        if (Block.isLeased(leasedState) && Block.STATE.compareAndSet(b, leasedState, leasedState - 1)) {
            giveBack(b, blockSize);
            return true;
        }
        return false;
    }

    /**
     * After the release CAS: the written bytes are zeroed, the block goes into a stripe, then a waiter (if
     * any) is woken to find it. Between the CAS and the push no thread but this one can reach the block, so
     * the clear cannot race a new lease, and the next holder sees zeros wherever it has not written itself.
     */
    private void giveBack(Block b, long writtenBytes) {
        clear(b, writtenBytes);
        put(b);
        waiters.blockReleased();
    }

    /**
     * Zeroes the bytes the holder may have written: the pool hands out the segment itself, so it knows no
     * more than the holder tells it. Once the pool is closed the arena is (or is being) freed and there is
     * nothing left to clear.
     */
    private void clear(Block b, long writtenBytes) {
        if (closed || writtenBytes == 0) {
            return;
        }
        try {
            (writtenBytes == blockSize ? b.segment : b.segment.asSlice(0, writtenBytes)).fill((byte) 0);
        } catch (IllegalStateException e) {
            if (!closed) {
                throw e;
            } // the arena was freed while we cleared: nothing is left to leak
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Stats, leaks, close

    public MemoryPoolStats stats() {
        assert checkInvariants();
        Usage usage = usage();
        return new MemoryPoolStats(blockSize, usage.inUse(), slabs.allocated(), maxBlocks, highWater(), usage.leases(),
                waiters.waits(), waiters.timeouts(), slabs.growths(), leaks.leaks());
    }

    @Override
    int blocksAllocated() {
        return slabs.allocated();
    }

    void reportLeak(LeakReport report) {
        leaks.report(report);
    }

    public boolean isClosed() {
        return closed;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("memory pool closed");
        }
    }

    /**
     * Reports every lease still outstanding as a leak, wakes waiters (they fail with
     * {@link IllegalStateException}) and frees the arena: a segment of this pool used afterwards throws
     * instead of touching freed memory. Idempotent.
     */
    @Override
    public void close() {
        slabs.growLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            slabs.growLock.unlock();
        }
        waiters.wakeAll();
        int n = slabs.allocated();
        for (int i = 0; i < n; i++) {
            Block b = blocks[i];
            if (Block.isLeased(b.state)) {
                leaks.report(new LeakReport(b.owner != null ? b.owner : "unscoped", i, b.whereTaken));
            }
        }
        slabs.close();
    }

    /** Every invariant in the class comment; walks all free stacks, so only for {@code assert}. */
    boolean checkInvariants() {
        slabs.growLock.lock();
        try {
            int alloc = slabs.allocated();
            assert alloc <= maxBlocks : "allocated " + alloc + " > maxBlocks " + maxBlocks;
            return checkInvariants(alloc);
        } finally {
            slabs.growLock.unlock();
        }
    }
}
