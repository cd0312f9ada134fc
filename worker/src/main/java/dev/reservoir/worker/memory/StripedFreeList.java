package dev.reservoir.worker.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.IdentityHashMap;

/**
 * The free blocks of a {@link MemoryPool}: a power-of-two number of {@link Stripe}s, each a free stack
 * behind its own spin lock, and the pool's sampled high-water mark. The pool's superclass (its comment
 * says why); everything here is package-private, so none of it is the pool's public API.
 *
 * <h2>Why stripes</h2>
 * One shared free list makes every lease and release write the same head word, so on a multi-core host
 * that cache line moves between cores on every operation, and its cost grows with the number of threads
 * (docs/benchmarks.md, "Memory pool"). Here a thread hashes its id to a home stripe and touches only that
 * stripe's lines on the fast path.
 * <ul>
 *   <li><b>A held lock is never waited for on the fast path</b>: the thread moves its probe to another
 *       stripe (as LongAdder/Striped64 rehash on CAS failure).</li>
 *   <li><b>A shared home is left</b>: the lock is held for a few instructions, so two threads sharing a
 *       home rarely see a failed CAS while still bouncing its line on every operation; a stripe therefore
 *       notes which platform thread took it last, and a thread moves when the holder keeps changing
 *       ({@link Stripe#sharedWith}).</li>
 *   <li><b>An empty home steals in bulk</b>: up to half (at most {@value #MAX_STEAL_BATCH}) of another
 *       stripe's blocks in one go, so the worker's common pattern (the fetcher leases, a task thread
 *       releases) costs one steal per batch, not one per lease.</li>
 *   <li><b>Nothing is cached per thread</b>: a block is always in exactly one stripe or leased, so
 *       thousands of short-lived (virtual) threads strand nothing.</li>
 * </ul>
 *
 * <h2>What guards what</h2>
 * <ul>
 *   <li>Each stripe's fields: its lock. A thread holds at most one stripe lock at a time, except in
 *       {@link #checkInvariants}, which takes them all in index order; so no deadlock.</li>
 *   <li>{@code probeOffset}: nothing; racy on purpose: a lost or stale update only picks a different
 *       stripe, never a wrong block.</li>
 *   <li>{@code highWater}: CAS-max. It is sampled, not counted: a stripe asks for a sample (the sum of all
 *       stripes' {@code net}, read opaque) when its own {@code net} reaches a new maximum since the mark
 *       last moved and on every {@value Stripe#PERIODIC_SAMPLE_EVERY}th lease; an empty pool and
 *       {@link #usage()} sample too. Single-threaded it is exact; under concurrency a sample reads the
 *       stripes at slightly different instants, and a short peak spread over several stripes can be
 *       missed. A counted global in-use figure would put one contended cache line back on every lease.</li>
 * </ul>
 */
abstract class StripedFreeList {
    /** Most blocks moved by one steal. */
    static final int MAX_STEAL_BATCH = 32;
    /** probeOffset slots: 2^8, indexed by the top 8 bits of the thread's hash. */
    private static final int PROBE_SLOTS = 256;
    private static final int MAX_STRIPES = 64;

    private static final VarHandle HIGH_WATER;

    static {
        try {
            HIGH_WATER = MethodHandles.lookup().findVarHandle(StripedFreeList.class, "highWater", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Index → block, shared with the pool's {@link SlabArena}; read-only here. */
    final Block[] blocks;
    private final Stripe[] stripes;
    private final int stripeMask;
    /** Added to a thread's hash to pick its home stripe; bumped when the home was found locked or shared. Racy on purpose. */
    private final int[] probeOffset = new int[PROBE_SLOTS];
    /** Most blocks seen in use at once. Written by CAS-max (HIGH_WATER). */
    private volatile int highWater;

    StripedFreeList(Block[] blocks) {
        this.blocks = blocks;
        // The largest power of two below 4·CPUs (2 to 4 stripes per CPU): threads on different cores rarely share one.
        int stripeCount = Math.min(MAX_STRIPES, Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 4 - 1));
        this.stripes = new Stripe[stripeCount];
        for (int i = 0; i < stripeCount; i++) {
            stripes[i] = new Stripe(blocks);
        }
        this.stripeMask = stripeCount - 1;
    }

    /** Puts the pool's first slab in, in contiguous ranges per stripe, so blocks that different threads use first do not share lines. */
    void stockEvenly(Block[] slab) {
        int n = slab.length;
        int stripeCount = stripes.length;
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
    }

    /** Puts a new slab in the caller's home stripe and takes one block of it (the caller grew the pool to get one). */
    Block stockAndTake(Block[] slab) {
        Stripe home = stripes[probe() & stripeMask];
        home.lockSpin();
        home.addStock(slab, 0, slab.length);
        Block b = home.popForLease();
        home.unlock();
        return b;
    }

    // ---------------------------------------------------------------------------------------------
    // Take

    /**
     * The fast path, kept small so the JIT inlines it: one CAS on the home stripe's lock. Falls back to
     * {@link #steal} when home is locked (another thread shares it) or empty; null when no stripe could
     * give a block without waiting.
     */
    Block take() {
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
     * Every stripe, waiting for each lock, so a block being pushed right now is seen: null means that at
     * some instant of the scan each stripe was empty. The slow path, before growing or waiting.
     */
    Block takeWaiting() {
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

    // ---------------------------------------------------------------------------------------------
    // Put

    /** A block whose release CAS succeeded: into the caller's home stripe, or any stripe that is free right now. */
    void put(Block b) {
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
            Stripe.backOff(spins);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Probe: which stripe a thread starts at

    private int probe() {
        return probe(Thread.currentThread().threadId());
    }

    /**
     * Fibonacci hashing: one multiply, whose high bits are well mixed even for consecutive thread ids, and
     * one multiply is all the critical path of every lease and release can afford (a stronger mixer's
     * dependent rounds cost more than they save: docs/benchmarks.md). Bits 56-63 pick the probeOffset
     * slot, bits 40 and up the stripe.
     */
    private int probe(long threadId) {
        long h = threadId * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) + probeOffset[(int) (h >>> 56)];
    }

    private void rehash(long threadId) {
        long h = threadId * 0x9E3779B97F4A7C15L;
        probeOffset[(int) (h >>> 56)] += 1 + ((int) (h >>> 32) & 0x6); // an odd step: a thread that keeps colliding visits every stripe
    }

    // ---------------------------------------------------------------------------------------------
    // High water, usage, invariants

    /** A racy sum of the stripes' net, clamped to the blocks allocated (the sum can overshoot while blocks move between stripes). */
    void sampleHighWater() {
        int inUse = 0;
        for (Stripe stripe : stripes) {
            inUse += (int) Stripe.NET.getOpaque(stripe);
        }
        raiseHighWater(Math.min(inUse, blocksAllocated()));
    }

    private void raiseHighWater(int inUse) {
        int hw;
        while (inUse > (hw = highWater)) {
            if (HIGH_WATER.compareAndSet(this, hw, inUse)) {
                return;
            }
        }
    }

    /** Blocks allocated so far: the most that can be in use. */
    abstract int blocksAllocated();

    int highWater() {
        return highWater;
    }

    /** Blocks in use and leases so far, each stripe read under its lock (not all at one instant); raises the high-water mark. */
    Usage usage() {
        int inUse = 0;
        long leases = 0;
        for (Stripe stripe : stripes) {
            stripe.lockSpin();
            inUse += stripe.net;
            leases += stripe.leases;
            stripe.unlock();
        }
        raiseHighWater(inUse);
        return new Usage(inUse, leases);
    }

    record Usage(int inUse, long leases) {
    }

    /**
     * Invariants 1 and 2 of {@link MemoryPool} against {@code allocated}; the caller holds the pool's
     * growLock (so {@code allocated} stands still). Takes every stripe lock in index order and walks every
     * stack, so only for {@code assert}.
     */
    boolean checkInvariants(int allocated) {
        for (Stripe stripe : stripes) {
            stripe.lockSpin();
        }
        try {
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
                    assert b.index < allocated && blocks[b.index] == b : "block " + b.index + " in a free stack is not registered";
                    length++;
                }
                assert length == stripe.free : "stripe free count " + stripe.free + " != stack length " + length;
                free += stripe.free;
                net += stripe.net;
            }
            assert free + net == allocated : "free " + free + " + in use " + net + " != allocated " + allocated;
            return true;
        } finally {
            for (int i = stripes.length - 1; i >= 0; i--) {
                stripes[i].unlock();
            }
        }
    }
}
