package dev.reservoir.worker.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One free stack of a {@link StripedFreeList}, behind a one-word spin lock, on cache lines of its own.
 *
 * <h2>Layout</h2>
 * <pre>
 *   StripePadBefore   128 bytes   keeps the previous object and the adjacent-line prefetcher off the lock
 *   StripeFields      lock, head, free, net, netMax, seenHighWater, leases, holder tracking
 *   Stripe            128 bytes   the same after
 * </pre>
 * HotSpot lays out superclass fields first, so padding by inheritance keeps that order.
 *
 * <h2>The stack</h2>
 * LIFO, linked by block index through {@code Block.nextFree}, top at {@code head} ({@link #NONE}: empty).
 * Indexes rather than references: popping and pushing then write no references, so no GC write barrier
 * runs on the hot path. Every block in the stack is FREE (invariant 1 of {@link MemoryPool}).
 *
 * <h2>What guards what</h2>
 * Every field below {@code lock}, and {@code Block.nextFree} of each block in this stack: the lock
 * (CAS 0→1 to take, release-store of 0 to drop). Two fields are also read without it, on purpose:
 * {@code free} as a hint ("worth locking to steal from?", rechecked under the lock) and {@code net} by
 * opaque reads when the pool samples its in-use count (a racy sum, clamped by the reader).
 *
 * <h2>Counters</h2>
 * {@code net} counts blocks that left this stripe (leases, steals out) minus blocks that entered it
 * (releases, steals in); a slab's new blocks enter without counting, so {@code Σ free + Σ net} over all
 * stripes is the number of blocks allocated (invariant 2). They are plain fields written under the lock
 * the operation holds anyway, so counting adds no shared cache line.
 */
@SuppressWarnings("unused")
final class Stripe extends StripeFields {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

    static final int NONE = -1;
    /**
     * A platform thread moves home when this stripe's holder changed this many times without a run of
     * {@link #HOLDER_REPEATS_TO_FORGET} takes by one thread in between (see {@link #sharedWith}).
     */
    static final int HOLDER_CHANGES_BEFORE_MOVE = 4;
    static final int HOLDER_REPEATS_TO_FORGET = 16;
    /** A stripe also asks for a sample of the pool's in-use count on every this-many-th lease (a power of two). */
    static final int PERIODIC_SAMPLE_EVERY = 1024;
    /** Spins on a held lock before yielding the CPU to its holder. */
    private static final int SPINS_BEFORE_YIELD = 64;

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

    /** The pool's index → block table: shared by all stripes, read-only here. */
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

    void unlock() {
        assert lock == 1 : "unlocking a stripe that is not locked";
        LOCK.setRelease(this, 0);
    }

    /** One wait in a spin loop on a lock held for a few instructions. */
    static void backOff(int spins) {
        if (spins < SPINS_BEFORE_YIELD) {
            Thread.onSpinWait();
        } else {
            Thread.yield(); // the holder may have been descheduled: there are more runnable threads than cores
        }
    }

    /**
     * True when platform threads keep alternating on this stripe: the caller should move. A failed CAS
     * is too rare a signal here (the lock is held for a few instructions), yet two threads sharing a
     * stripe still bounce its cache line on every operation. Virtual threads are not counted: many of
     * them take turns on one carrier without contending, and their ids say nothing about cores.
     * Caller holds the lock.
     */
    boolean sharedWith(Thread thread, long threadId) {
        if (threadId == lastHolder) {
            // A thread usually takes its home twice in a row (lease, then release), so one repeat proves
            // nothing; a long run of them means the stripe is this thread's alone. (A counter that any
            // repeat reset would never fire, since lease and release come in pairs.)
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

    /** The top block, now out of this stripe and counted as leased from it; null when empty. Caller holds the lock. */
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

    /** A block whose release CAS succeeded. Caller holds the lock. */
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
     * {@value #PERIODIC_SAMPLE_EVERY}th lease. The periodic sample catches peaks made of blocks held on
     * several stripes at once, each of which is at its own old maximum. Caller holds the lock.
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

    /** Removes the top n blocks (0 < n <= free) as a chain; they leave this stripe's stock. Caller holds the lock. */
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

    /** Adds a chain of n blocks detached from another stripe. Caller holds the lock. */
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

    /** Adds new blocks [from, to) of a slab: they were in no stripe, so net is unchanged. Caller holds the lock. */
    void addStock(Block[] slab, int from, int to) {
        for (int i = to - 1; i >= from; i--) { // pushed in reverse so the lowest index is leased first
            Block b = slab[i];
            b.nextFree = head;
            head = b.index;
        }
        free += to - from;
    }
}

/** Padding before a stripe's fields; see {@link Stripe}. */
@SuppressWarnings("unused")
abstract class StripePadBefore {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/** A stripe's fields between padding; see {@link Stripe} for what guards each. */
abstract class StripeFields extends StripePadBefore {
    /** 0 free, 1 held. CAS to take, release-store to drop. */
    volatile int lock;
    // All below: guarded by lock.
    /** Index of the top block, or {@link Stripe#NONE}. */
    int head = Stripe.NONE;
    /** Length of the stack; read without the lock only as a hint. */
    int free;
    /** Blocks that left this stripe minus blocks that entered it (invariant 2); read racily (opaque) by sampling. */
    int net;
    /** Highest net since the pool's high-water mark last changed (see {@link Stripe#reachedNewMax}). */
    int netMax;
    /** The pool high-water mark netMax was reset against. */
    int seenHighWater = -1;
    long leases;
    /** Platform thread that last took the lock, and how many takes in a row changed it (see {@link Stripe#sharedWith}). */
    long lastHolder = -1;
    int holderChanges;
    int holderRepeats;
}
