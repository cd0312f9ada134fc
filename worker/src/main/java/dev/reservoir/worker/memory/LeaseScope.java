package dev.reservoir.worker.memory;

import java.time.Duration;
import java.util.Arrays;

/**
 * The leases of one task. Blocks leased through a scope may be released as usual (on any thread);
 * {@link #close()} releases those still held and reports each as a leak with the scope's owner and, when
 * recorded, where it was taken. The runtime opens one per task and closes it when the task ends, on every
 * path, so a handler that forgets a release costs a leak report, not a block.
 *
 * <p>Thread-safe (a task may hand a scope to helpers); methods synchronize on the scope, which is
 * uncontended in the usual one-thread-per-task case and does not pin virtual threads (JDK 24+).
 *
 * <p>Lifecycle: OPEN → CLOSED (close is idempotent; leasing from a closed scope throws).
 */
public final class LeaseScope implements AutoCloseable {
    private final MemoryPool pool;
    private final String owner;

    // Guarded by this. held[i] was leased through this scope in state heldState[i] (its generation);
    // an entry whose block has moved on (released, maybe leased again) is stale and skipped.
    private Block[] held = new Block[4];
    private long[] heldState = new long[4];
    private int count;
    private boolean closed;

    LeaseScope(MemoryPool pool, String owner) {
        this.pool = pool;
        this.owner = owner;
    }

    public String owner() {
        return owner;
    }

    /** As {@link MemoryPool#lease(Duration)}, tracked by this scope. */
    public Block lease(Duration maxWait) throws MemoryPoolExhaustedException, InterruptedException {
        ensureOpen();
        return track(pool.lease(maxWait, owner));
    }

    /** A block for a handler's scratch space: {@link #lease} with the pool's {@link MemoryPool#leaseTimeout()}. */
    public Block scratch() throws MemoryPoolExhaustedException, InterruptedException {
        return lease(pool.leaseTimeout());
    }

    /** As {@link MemoryPool#tryLease()}, tracked by this scope; null when the pool is exhausted. */
    public Block tryLease() {
        ensureOpen();
        Block b = pool.tryLease(owner);
        return b == null ? null : track(b);
    }

    private synchronized Block track(Block b) {
        long state = b.state; // the lease we just took: the caller has not seen the block yet, so nobody released it
        assert Block.isLeased(state) : "block " + b.index + " not leased when tracked";
        if (closed) {
            // Closed while we were leasing (another thread): give it back rather than strand it.
            pool.releaseIfStillLeased(b, state);
            throw new IllegalStateException("lease scope '" + owner + "' is closed");
        }
        if (count == held.length) {
            compact();
        }
        held[count] = b;
        heldState[count] = state;
        count++;
        return b;
    }

    /** Drops entries whose lease has ended; grows the arrays only if every entry is still held. */
    private void compact() {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (held[i].state == heldState[i]) {
                held[kept] = held[i];
                heldState[kept] = heldState[i];
                kept++;
            }
        }
        Arrays.fill(held, kept, count, null);
        count = kept;
        if (count == held.length) {
            held = Arrays.copyOf(held, count * 2);
            heldState = Arrays.copyOf(heldState, count * 2);
        }
    }

    /** Leases taken through this scope and not yet released. */
    public synchronized int outstanding() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (held[i].state == heldState[i]) {
                n++;
            }
        }
        return n;
    }

    private synchronized void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("lease scope '" + owner + "' is closed");
        }
    }

    /**
     * Releases every lease of this scope still held and reports each as a leak (unless the pool has closed:
     * it reported them then). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean alreadyReported = pool.isClosed();
        for (int i = 0; i < count; i++) {
            Block b = held[i];
            Throwable whereTaken = b.whereTaken; // read before the release: afterwards a new lease may overwrite it
            if (b.state == heldState[i] && pool.releaseIfStillLeased(b, heldState[i]) && !alreadyReported) {
                pool.reportLeak(new LeakReport(owner, b.index, whereTaken));
            }
            held[i] = null;
        }
        count = 0;
    }
}
