package dev.reservoir.worker.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The worker's off-heap memory pool: equal-size blocks sliced from slabs of one shared {@link Arena}.
 *
 * <h2>Layout</h2>
 * <pre>
 *   Arena (shared) ── slab 0: blocks [0, initialBlocks)        allocated in the constructor
 *                 ├─ slab 1: blocks [initialBlocks, 2·initialBlocks)   on demand, one slab per growth
 *                 └─ ...     up to maxBlocks blocks in all; then back-pressure, never more memory
 *   blocks[i]     one Block object per index, created with its slab, reused for every lease
 *   stripes[s]    a free stack (LIFO, linked by block index through Block.nextFree) behind a one-word spin lock,
 *                 each stripe padded onto its own cache lines
 * </pre>
 *
 * <h2>Why stripes</h2>
 * One shared lock-free free list costs ~9 ns per lease+release on one thread but 150–240 ns at two
 * threads (measured for the issue on a multi-core host): every operation bounces the head's cache line
 * between cores. (On the 2-vCPU build VM that penalty hardly shows; see docs/benchmarks.md.) Here a thread hashes its id to a
 * home stripe and only touches that stripe's line on the fast path. A stripe whose lock is taken is not
 * waited for: the thread moves its probe to another stripe (as LongAdder/Striped64 rehash on CAS failure).
 * Because the lock is held for a few instructions, two threads sharing a home rarely see a failed CAS while
 * still bouncing its line on every operation; so a stripe also notes which platform thread took it last,
 * and a thread moves when the holder keeps changing. (Lease and release come in pairs, so a counter that a
 * repeat resets would never fire: see {@code Stripe.sharedWith}.) A thread whose home stripe is empty steals up to
 * half (at most {@value #MAX_STEAL_BATCH}) of another stripe's blocks in one go, so the common
 * cross-thread pattern (a fetcher leases, a task thread releases) costs one steal per batch, not one per
 * lease. Nothing is cached per thread: a block is always in exactly one stripe or leased, so thousands of
 * short-lived (virtual) threads strand nothing. Counters the hot path needs are plain fields of the
 * stripe, written under its lock, so statistics add no shared cache line.
 *
 * <h2>State machine of a block</h2>
 * <pre>
 *   FREE(g) ──lease: pop from a stripe, then release-store──▶ LEASED(g+1) ──release: CAS──▶ FREE(g+1) ──push──▶ (in a stripe)
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
 * </ol>
 *
 * <h2>What guards what</h2>
 * <ul>
 *   <li>stripe fields: the stripe's lock ({@code Stripe.lock}, CAS to take, release-store to drop). A thread
 *       holds at most one stripe lock at a time, except {@link #checkInvariants()}, which takes them all in
 *       index order; so no deadlock.</li>
 *   <li>{@code blocks}, {@code allocated}, slab creation: {@code growLock}; {@code allocated} is volatile so
 *       readers see a fully built slab.</li>
 *   <li>{@code waiters}: written under {@code waitLock}, read by releasers without it (volatile). A releaser
 *       reads it after the CAS that took a stripe lock; a waiter raises it before it takes every stripe
 *       lock in turn; so either the releaser sees the waiter and signals, or the waiter sees the block.</li>
 *   <li>{@code highWater}: CAS-max. It is sampled, not counted: a stripe samples the sum of all stripes'
 *       {@code net} when its own {@code net} reaches a new maximum since the pool's high-water mark last
 *       moved and on every {@value #PERIODIC_SAMPLE_EVERY}th lease, and {@link #stats()} samples too.
 *       Single-threaded it is exact; under concurrency a sample reads the stripes at slightly different
 *       instants, and a short peak spread over several stripes can be missed. A counted global in-use figure would put one
 *       contended cache line back on every lease.</li>
 *   <li>Rare counters (waits, growths, leaks): {@link LongAdder}.</li>
 * </ul>
 *
 * <h2>Back-pressure</h2>
 * A lease tries its home stripe, then the others; if all are empty it grows by a slab while below
 * {@code maxBlocks}; at {@code maxBlocks} it waits on {@code blockFreed} for at most its {@code maxWait},
 * then throws {@link MemoryPoolExhaustedException}. Waiting is not fair: a lease on the fast path may take
 * a block a waiter was signalled for; the waiter then waits again within its bound.
 */
public final class MemoryPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MemoryPool.class.getName());

    /** Under {@link LeakDetection#SAMPLED}, one lease in this many records where it was taken. */
    public static final int SAMPLE_ONE_IN = 100;
    /** Most blocks moved by one steal. */
    static final int MAX_STEAL_BATCH = 32;
    private static final long SLAB_ALIGNMENT = 4096;
    private static final int PROBE_SLOTS = 256; // = 2^8: indexed by the top 8 bits of the thread's hash
    private static final int SPINS_BEFORE_YIELD = 64;
    /**
     * A platform thread moves home when a stripe's holder changed this many times without a run of
     * {@link #HOLDER_REPEATS_TO_FORGET} takes by one thread in between (see Stripe.sharedWith).
     */
    static final int HOLDER_CHANGES_BEFORE_MOVE = 4;
    static final int HOLDER_REPEATS_TO_FORGET = 16;
    /** A stripe also samples the pool's in-use count on every this-many-th lease (a power of two). */
    static final int PERIODIC_SAMPLE_EVERY = 1024;

    private static final VarHandle HIGH_WATER;

    static {
        try {
            HIGH_WATER = MethodHandles.lookup().findVarHandle(MemoryPool.class, "highWater", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MemoryPoolConfig config;
    private final int blockSize;
    private final int maxBlocks;
    private final LeakDetection leakDetection;
    private final Arena arena;
    private final Stripe[] stripes;
    private final int stripeMask;
    /**
     * Added to a thread's hash to pick its home stripe; bumped when the home stripe was found locked.
     * Racy on purpose: a lost or stale update only picks a different stripe, never a wrong block.
     */
    private final int[] probeOffset = new int[PROBE_SLOTS];

    /** Index → block; slots below {@link #allocated} are set. Guarded by growLock (written), published by allocated. */
    private final Block[] blocks;
    /** Written under growLock only. */
    private volatile int allocated;
    private final ReentrantLock growLock = new ReentrantLock();

    private final ReentrantLock waitLock = new ReentrantLock();
    private final Condition blockFreed = waitLock.newCondition();
    /** Leases waiting on blockFreed; written under waitLock. */
    private volatile int waiters;

    /** Set once by close(), under growLock. */
    private volatile boolean closed;
    /** Written by CAS-max (HIGH_WATER). */
    private volatile int highWater;

    private final LongAdder waits = new LongAdder();
    private final LongAdder waitTimeouts = new LongAdder();
    private final LongAdder growths = new LongAdder();
    private final LongAdder leaks = new LongAdder();
    private final CopyOnWriteArrayList<Consumer<LeakReport>> leakListeners = new CopyOnWriteArrayList<>();
    /** Why the last growth failed (native memory refused), for the exhausted message; null normally. */
    private volatile String growthFailure;

    public MemoryPool(MemoryPoolConfig config) {
        this.config = Objects.requireNonNull(config, "memoryPool config");
        this.blockSize = config.blockSize();
        this.maxBlocks = config.maxBlocks();
        this.leakDetection = config.leakDetection();
        this.blocks = new Block[maxBlocks];
        // A power of two near twice the CPUs: enough that threads on different cores rarely share a stripe.
        int stripeCount = Math.min(64, Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 4 - 1));
        this.stripes = new Stripe[stripeCount];
        for (int i = 0; i < stripeCount; i++) {
            stripes[i] = new Stripe(blocks);
        }
        this.stripeMask = stripeCount - 1;
        this.arena = Arena.ofShared();
        growLock.lock();
        try {
            Block[] slab = allocateSlab(config.initialBlocks());
            // Contiguous ranges per stripe, so blocks that different threads use first do not share lines.
            int n = slab.length;
            for (int s = 0; s < stripeCount; s++) {
                int from = (int) ((long) n * s / stripeCount);
                int to = (int) ((long) n * (s + 1) / stripeCount);
                if (to > from) {
                    Stripe stripe = stripes[s];
                    stripe.lockSpin();
                    stripe.addStock(slab, from, to);
                    stripe.unlock();
                }
            }
            allocated = n;
        } finally {
            growLock.unlock();
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
        Block b = takeFast();
        if (b == null) {
            b = takeOrGrow();
            if (b == null) {
                return null;
            }
        }
        return handOut(b, owner);
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
     * recorded, whatever the leak detection level (a recorded stack costs microseconds). {@code owner}
     * names the lease if the pool closes while it is held.
     */
    public Block leaseUntracked(Duration maxWait, String owner) throws MemoryPoolExhaustedException, InterruptedException {
        return lease(maxWait, owner, false);
    }

    private Block lease(Duration maxWait, String owner, boolean mayTrace) throws MemoryPoolExhaustedException, InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait");
        ensureOpen();
        Block b = takeFast();
        if (b == null) {
            b = takeOrGrow();
            if (b == null) {
                b = awaitBlock(maxWait);
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
     * Called for every leak reported from now on. Without a listener, leaks are logged as warnings
     * ({@code System.Logger} {@code dev.reservoir.worker.memory.MemoryPool}).
     */
    public void onLeak(Consumer<LeakReport> listener) {
        leakListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    // ---------------------------------------------------------------------------------------------
    // Lease

    /**
     * The fast path, kept small so the JIT inlines it: one CAS on the home stripe's lock. Falls back to
     * {@link #steal} when home is locked (another thread shares it) or empty.
     */
    private Block takeFast() {
        Thread thread = Thread.currentThread();
        long threadId = thread.threadId();
        int probe = probe(threadId);
        Stripe home = stripes[probe & stripeMask];
        if (home.tryLock()) {
            Block b = home.popForLease();
            boolean sample = b != null && home.reachedNewMax(highWater);
            boolean shared = home.sharedWith(thread, threadId);
            home.unlock();
            if (shared) {
                rehash(threadId);
            }
            if (b != null) {
                if (sample) {
                    sampleHighWater();
                }
                return b;
            }
        } else {
            rehash(threadId);
        }
        return steal(probe, home);
    }

    /** The other stripes without waiting for any lock: takes one block and moves up to half of the rest into home. */
    private Block steal(int probe, Stripe home) {
        for (int i = 1; i <= stripeMask; i++) {
            Stripe victim = stripes[(probe + i) & stripeMask];
            if (victim.free > 0 && victim.tryLock()) { // racy peek at free: only a hint, rechecked under the lock
                Block b = victim.popForLease();
                Block chain = null;
                int moved = 0;
                if (b != null && victim.free > 1) {
                    moved = Math.min(MAX_STEAL_BATCH, victim.free / 2);
                    chain = victim.detach(moved);
                }
                boolean sample = b != null && victim.reachedNewMax(highWater);
                victim.unlock();
                if (chain != null) {
                    home.lockSpin();
                    home.attach(chain, moved);
                    home.unlock();
                }
                if (b != null) {
                    if (sample) {
                        sampleHighWater();
                    }
                    return b;
                }
            }
        }
        return null;
    }

    /**
     * Every stripe, waiting for each lock (so a block being pushed right now is seen), then a new slab if
     * below maxBlocks. Null when nothing is free and the pool cannot grow.
     */
    private Block takeOrGrow() {
        Block b = scanAllStripes();
        if (b != null || allocated >= maxBlocks) {
            return b;
        }
        growLock.lock();
        try {
            b = scanAllStripes(); // another thread may have grown while we waited for growLock
            if (b == null && allocated < maxBlocks && !closed) {
                b = grow();
            }
            return b;
        } finally {
            growLock.unlock();
        }
    }

    private Block scanAllStripes() {
        int start = probe();
        for (int i = 0; i <= stripeMask; i++) {
            Stripe stripe = stripes[(start + i) & stripeMask];
            stripe.lockSpin();
            Block b = stripe.popForLease();
            boolean sample = b != null && stripe.reachedNewMax(highWater);
            stripe.unlock();
            if (b != null) {
                if (sample) {
                    sampleHighWater();
                }
                return b;
            }
        }
        sampleHighWater(); // the pool is (nearly) empty: a likely high-water moment
        return null;
    }

    /** Caller holds growLock and has seen allocated < maxBlocks. Returns a block of the new slab, or null if native memory was refused. */
    private Block grow() {
        assert growLock.isHeldByCurrentThread();
        int base = allocated;
        int n = Math.min(config.initialBlocks(), maxBlocks - base);
        Block[] slab;
        try {
            slab = allocateSlab(n);
        } catch (OutOfMemoryError e) {
            // Native memory is a hard limit below maxBlocks: stay at this size and let back-pressure work.
            growthFailure = "growing by " + n + " blocks (" + (long) n * blockSize + " bytes) failed: " + e.getMessage();
            LOG.log(System.Logger.Level.WARNING, "memory pool: " + growthFailure + "; staying at " + base + " blocks");
            return null;
        }
        Stripe home = stripes[probe() & stripeMask];
        home.lockSpin();
        home.addStock(slab, 0, slab.length);
        Block b = home.popForLease();
        home.unlock();
        allocated = base + n;
        growths.increment();
        sampleHighWater();
        assert checkInvariants();
        return b;
    }

    /** Caller holds growLock. Allocates, slices and registers n blocks; they are in no stripe yet. */
    private Block[] allocateSlab(int n) {
        int base = allocated;
        assert base + n <= maxBlocks : "slab beyond maxBlocks";
        MemorySegment slab = arena.allocate((long) n * blockSize, SLAB_ALIGNMENT);
        Block[] made = new Block[n];
        for (int i = 0; i < n; i++) {
            Block b = new Block(this, base + i, slab.asSlice((long) i * blockSize, blockSize));
            made[i] = b;
            blocks[base + i] = b;
        }
        return made;
    }

    private Block awaitBlock(Duration maxWait) throws MemoryPoolExhaustedException, InterruptedException {
        waits.increment();
        long nanos = maxWait.compareTo(Duration.ofDays(365)) > 0 ? Long.MAX_VALUE : maxWait.toNanos(); // toNanos overflows past ~292 years
        waitLock.lockInterruptibly();
        try {
            waiters++;
            try {
                for (;;) {
                    ensureOpen();
                    Block b = takeOrGrow(); // takes each stripe lock: sees any block pushed before waiters was raised
                    if (b != null) {
                        return b;
                    }
                    if (nanos <= 0L) {
                        waitTimeouts.increment();
                        throw exhausted(maxWait);
                    }
                    nanos = blockFreed.awaitNanos(nanos);
                }
            } finally {
                waiters--;
            }
        } finally {
            waitLock.unlock();
        }
    }

    private MemoryPoolExhaustedException exhausted(Duration maxWait) {
        int alloc = allocated;
        String failure = growthFailure;
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
    private Block handOut(Block b, String owner) {
        return handOut(b, owner, true);
    }

    private Block handOut(Block b, String owner, boolean mayTrace) {
        long s = b.state;
        assert !Block.isLeased(s) : "block " + b.index + " was leased while in a free stack";
        b.owner = owner;
        b.whereTaken = leakDetection == LeakDetection.OFF || !mayTrace ? null : maybeTrace(b.index);
        Block.STATE.setRelease(b, s + 3); // generation + 1, leased bit set
        return b;
    }

    private Throwable maybeTrace(int index) {
        if (leakDetection == LeakDetection.PARANOID || ThreadLocalRandom.current().nextInt(SAMPLE_ONE_IN) == 0) {
            return new LeaseTrace(index);
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // Release

    void release(Block b) {
        long s = b.state;
        if (!Block.isLeased(s) || !Block.STATE.compareAndSet(b, s, s - 1)) {
            throw new IllegalStateException("memory block " + b.index + " released twice (it is not leased)"
                    + (closed ? "; the pool is closed" : ""));
        }
        push(b);
    }

    /** Releases the lease of that exact state (generation) if still held; true if it was. */
    boolean releaseIfStillLeased(Block b, long leasedState) {
        if (Block.isLeased(leasedState) && Block.STATE.compareAndSet(b, leasedState, leasedState - 1)) {
            push(b);
            return true;
        }
        return false;
    }

    private void push(Block b) {
        Thread thread = Thread.currentThread();
        long threadId = thread.threadId();
        Stripe stripe = stripes[probe(threadId) & stripeMask];
        boolean shared = false;
        if (stripe.tryLock()) {
            shared = stripe.sharedWith(thread, threadId);
        } else {
            rehash(threadId);
            stripe = lockAnyStripe();
        }
        stripe.pushReleased(b);
        stripe.unlock();
        if (shared) {
            rehash(threadId);
        }
        if (waiters != 0) {
            signalWaiter();
        }
    }

    /** A stripe lock, trying the others before spinning on any. */
    private Stripe lockAnyStripe() {
        int start = probe();
        for (int spins = 0; ; spins++) {
            for (int i = 0; i <= stripeMask; i++) {
                Stripe stripe = stripes[(start + i) & stripeMask];
                if (stripe.tryLock()) {
                    return stripe;
                }
            }
            backOff(spins);
        }
    }

    private void signalWaiter() {
        waitLock.lock();
        try {
            blockFreed.signal();
        } finally {
            waitLock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Probe: which stripe a thread starts at

    private int probe() {
        return probe(Thread.currentThread().threadId());
    }

    /**
     * Fibonacci hashing: one multiply, whose high bits are well mixed even for consecutive thread ids.
     * (SplitMix64's finalizer, three dependent multiply rounds on the critical path of every lease and
     * release, measured ~4 ns more per lease+release.) Bits 56-63 pick the probeOffset slot, bits 40 and up
     * the stripe.
     */
    private int probe(long threadId) {
        long h = threadId * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) + probeOffset[(int) (h >>> 56)];
    }

    private void rehash(long threadId) {
        long h = threadId * 0x9E3779B97F4A7C15L;
        probeOffset[(int) (h >>> 56)] += 1 + ((int) (h >>> 32) & 0x6); // an odd step: a thread that keeps colliding visits every stripe
    }

    static void backOff(int spins) {
        if (spins < SPINS_BEFORE_YIELD) {
            Thread.onSpinWait();
        } else {
            Thread.yield(); // the holder may have been descheduled (2 cores, many threads)
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Stats, leaks, close

    private void sampleHighWater() {
        int inUse = 0;
        for (Stripe stripe : stripes) {
            inUse += (int) Stripe.NET.getOpaque(stripe);
        }
        raiseHighWater(Math.min(inUse, allocated));
    }

    private void raiseHighWater(int inUse) {
        int hw;
        while (inUse > (hw = highWater)) {
            if (HIGH_WATER.compareAndSet(this, hw, inUse)) {
                return;
            }
        }
    }

    public MemoryPoolStats stats() {
        assert checkInvariants();
        int inUse = 0;
        long leaseCount = 0;
        for (Stripe stripe : stripes) {
            stripe.lockSpin();
            inUse += stripe.net;
            leaseCount += stripe.leases;
            stripe.unlock();
        }
        raiseHighWater(inUse);
        return new MemoryPoolStats(blockSize, inUse, allocated, maxBlocks, highWater, leaseCount,
                waits.sum(), waitTimeouts.sum(), growths.sum(), leaks.sum());
    }

    void reportLeak(LeakReport report) {
        leaks.increment();
        if (report.whereTaken() != null) {
            report.whereTaken().getStackTrace(); // trims the pool's own frames before anyone prints it
        }
        if (leakListeners.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, report.describe(), report.whereTaken());
            return;
        }
        for (Consumer<LeakReport> listener : leakListeners) {
            try {
                listener.accept(report);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "memory pool leak listener failed", e);
            }
        }
    }

    static String ownerOf(Block b) {
        String owner = b.owner;
        return owner != null ? owner : "unscoped";
    }

    public boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
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
        growLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            growLock.unlock();
        }
        waitLock.lock();
        try {
            blockFreed.signalAll();
        } finally {
            waitLock.unlock();
        }
        int n = allocated;
        for (int i = 0; i < n; i++) {
            Block b = blocks[i];
            if (Block.isLeased(b.state)) {
                reportLeak(new LeakReport(ownerOf(b), i, b.whereTaken));
            }
        }
        arena.close();
    }

    /** Every invariant in the class comment; walks all free stacks, so only for {@code assert}. */
    boolean checkInvariants() {
        growLock.lock();
        for (Stripe stripe : stripes) {
            stripe.lockSpin();
        }
        try {
            int alloc = allocated;
            assert alloc <= maxBlocks : "allocated " + alloc + " > maxBlocks " + maxBlocks;
            IdentityHashMap<Block, Stripe> seen = new IdentityHashMap<>();
            int free = 0;
            int net = 0;
            for (Stripe stripe : stripes) {
                int length = 0;
                for (int i = stripe.head; i != Stripe.NONE; i = blocks[i].nextFree) {
                    Block b = blocks[i];
                    Stripe other = seen.put(b, stripe);
                    assert other == null : "block " + b.index + " is in two free stacks (or twice in one)";
                    assert !Block.isLeased(b.state) : "block " + b.index + " is LEASED but in a free stack";
                    assert b.index < alloc && blocks[b.index] == b : "block " + b.index + " in a free stack is not registered";
                    length++;
                }
                assert length == stripe.free : "stripe free count " + stripe.free + " != stack length " + length;
                free += stripe.free;
                net += stripe.net;
            }
            assert free + net == alloc : "free " + free + " + in use " + net + " != allocated " + alloc;
            return true;
        } finally {
            for (int i = stripes.length - 1; i >= 0; i--) {
                stripes[i].unlock();
            }
            growLock.unlock();
        }
    }

    /**
     * Where a lease was taken: the stack of the lease call and the leasing thread's name. Only the raw
     * backtrace is captured at lease time (the cheap part); frames are materialised, and the pool's own
     * frames dropped, only if the lease is ever reported as a leak.
     */
    static final class LeaseTrace extends Throwable {
        private volatile boolean trimmed;

        LeaseTrace(int index) {
            super("memory block " + index + " leased here by thread '" + Thread.currentThread().getName() + "'");
        }

        @Override
        public StackTraceElement[] getStackTrace() {
            if (!trimmed) {
                synchronized (this) {
                    if (!trimmed) {
                        StackTraceElement[] stack = super.getStackTrace();
                        int first = 0;
                        while (first < stack.length - 1 && isPoolFrame(stack[first])) {
                            first++;
                        }
                        setStackTrace(Arrays.copyOfRange(stack, first, stack.length));
                        trimmed = true;
                    }
                }
            }
            return super.getStackTrace();
        }

        private static boolean isPoolFrame(StackTraceElement frame) {
            String cls = frame.getClassName();
            return cls.equals(MemoryPool.class.getName()) || cls.equals(LeaseScope.class.getName());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Stripe: a free stack on its own cache lines (padding by inheritance: HotSpot lays out superclass
    // fields first, so the 128 bytes each side keep neighbours and the adjacent-line prefetcher away).

    @SuppressWarnings("unused")
    abstract static class StripePadBefore {
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    }

    abstract static class StripeFields extends StripePadBefore {
        /** 0 free, 1 held. CAS to take, release-store to drop. */
        volatile int lock;
        // All below: guarded by lock.
        /** Index of the top block, or NONE. Indexes rather than references: no GC write barriers on the hot path. */
        int head = Stripe.NONE;
        /** Length of the stack; read without the lock only as a hint. */
        int free;
        /** Blocks that left this stripe minus blocks that entered it (see invariant 2); read racily (opaque) by sampling. */
        int net;
        /** Highest net since the pool's high-water mark last changed (see highWater). */
        int netMax;
        /** The pool high-water mark netMax was reset against. */
        int seenHighWater = -1;
        long leases;
        /** Platform thread that last took the lock, and how many takes in a row changed it (see sharedWith). */
        long lastHolder = -1;
        int holderChanges;
        int holderRepeats;
    }

    @SuppressWarnings("unused")
    static final class Stripe extends StripeFields {
        long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

        static final int NONE = -1;
        static final VarHandle LOCK;
        static final VarHandle NET;

        static {
            try {
                LOCK = MethodHandles.lookup().findVarHandle(StripeFields.class, "lock", int.class);
                NET = MethodHandles.lookup().findVarHandle(StripeFields.class, "net", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** The pool's index → block table (shared, read-only for stripes). */
        private final Block[] blocks;

        Stripe(Block[] blocks) {
            this.blocks = blocks;
        }

        boolean tryLock() {
            return LOCK.compareAndSet(this, 0, 1);
        }

        void lockSpin() {
            for (int spins = 0; !tryLock(); spins++) {
                backOff(spins);
            }
        }

        /**
         * True when platform threads keep alternating on this stripe: the caller should move. A failed CAS
         * is too rare a signal here (the lock is held for a few instructions), yet two threads sharing a
         * stripe still bounce its cache line on every operation. Virtual threads are not counted: many of
         * them take turns on one carrier without contending, and their ids say nothing about cores.
         */
        boolean sharedWith(Thread thread, long threadId) {
            if (threadId == lastHolder) {
                // A thread usually takes its home twice in a row (lease, then release), so one repeat proves
                // nothing; a long run of them means the stripe is this thread's alone.
                if (++holderRepeats >= HOLDER_REPEATS_TO_FORGET) {
                    holderChanges = 0;
                    holderRepeats = 0;
                }
                return false;
            }
            if (thread.isVirtual()) {
                return false;
            }
            lastHolder = threadId;
            holderRepeats = 0;
            if (++holderChanges >= HOLDER_CHANGES_BEFORE_MOVE) {
                holderChanges = 0;
                return true;
            }
            return false;
        }

        void unlock() {
            assert lock == 1 : "unlocking a stripe that is not locked";
            LOCK.setRelease(this, 0);
        }

        Block popForLease() {
            int top = head;
            if (top == NONE) {
                return null;
            }
            Block b = blocks[top];
            head = b.nextFree;
            b.nextFree = NONE;
            free--;
            net++;
            leases++;
            return b;
        }

        void pushReleased(Block b) {
            assert !Block.isLeased(b.state) : "pushing a leased block";
            b.nextFree = head;
            head = b.index;
            free++;
            net--;
        }

        /**
         * After a pop: true if the pool's in-use count should be sampled now: this stripe's net is at a new
         * maximum since the pool high-water mark moved, or this is the stripe's
         * {@value MemoryPool#PERIODIC_SAMPLE_EVERY}th lease. The periodic sample catches peaks made of
         * blocks held on several stripes at once, each of which is at its own old maximum.
         */
        boolean reachedNewMax(int poolHighWater) {
            if (poolHighWater != seenHighWater) {
                seenHighWater = poolHighWater;
                netMax = net - 1;
            }
            if (net > netMax) {
                netMax = net;
                return true;
            }
            return (leases & (PERIODIC_SAMPLE_EVERY - 1)) == 0;
        }

        /** Removes the top n blocks (n <= free) as a chain; they leave this stripe's stock. */
        Block detach(int n) {
            assert n > 0 && n <= free;
            Block first = blocks[head];
            Block last = first;
            for (int i = 1; i < n; i++) {
                last = blocks[last.nextFree];
            }
            head = last.nextFree;
            last.nextFree = NONE;
            free -= n;
            net += n;
            return first;
        }

        /** Adds a chain of n blocks detached from another stripe. */
        void attach(Block chain, int n) {
            Block last = chain;
            while (last.nextFree != NONE) {
                last = blocks[last.nextFree];
            }
            last.nextFree = head;
            head = chain.index;
            free += n;
            net -= n;
        }

        /** Adds new blocks [from, to) of a slab: they were in no stripe, so net is unchanged. */
        void addStock(Block[] slab, int from, int to) {
            for (int i = to - 1; i >= from; i--) { // pushed in reverse so the lowest index is leased first
                Block b = slab[i];
                b.nextFree = head;
                head = b.index;
            }
            free += to - from;
        }
    }
}
