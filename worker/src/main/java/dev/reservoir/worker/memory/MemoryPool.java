package dev.reservoir.worker.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.Consumer;

// INTERIM (lead): a simple monitor-guarded pool so the worker builds; replaced by the memory-pool branch.
public final class MemoryPool implements AutoCloseable {
    private final MemoryPoolConfig config;
    private final Arena arena = Arena.ofShared();
    private final ArrayDeque<Block> free = new ArrayDeque<>();
    private int allocated;
    private long inUse;
    private long highWater;
    private long leases;
    private long waits;
    private long growths;
    private long leaks;
    private Consumer<LeakReport> leakListener = r -> { };

    public MemoryPool(MemoryPoolConfig config) {
        this.config = config;
        grow(config.initialBlocks());
    }

    private void grow(int n) {
        MemorySegment slab = arena.allocate((long) config.blockSize() * n, 64);
        for (int i = 0; i < n; i++) {
            free.add(new Block(this, slab.asSlice((long) i * config.blockSize(), config.blockSize()), allocated++));
        }
    }

    public synchronized Block tryLease() {
        if (free.isEmpty() && allocated < config.maxBlocks()) {
            grow(Math.min(config.initialBlocks(), config.maxBlocks() - allocated));
            growths++;
        }
        Block b = free.poll();
        if (b != null) {
            b.leased = true;
            leases++;
            inUse++;
            highWater = Math.max(highWater, inUse);
        }
        return b;
    }

    public synchronized Block lease(Duration maxWait) throws MemoryPoolExhaustedException, InterruptedException {
        long deadline = System.nanoTime() + maxWait.toNanos();
        Block b = tryLease();
        if (b == null) {
            waits++;
        }
        while (b == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new MemoryPoolExhaustedException("no memory pool block free within " + maxWait.toMillis() + "ms");
            }
            wait(Math.max(1, left / 1_000_000));
            b = tryLease();
        }
        return b;
    }

    synchronized void release(Block b) {
        if (!b.leased) {
            throw new IllegalStateException("block " + b.index + " released twice");
        }
        b.leased = false;
        inUse--;
        free.push(b);
        notifyAll();
    }

    synchronized void releaseIfLeased(Block b, String owner) {
        if (b.leased) {
            leaks++;
            leakListener.accept(new LeakReport(owner, b.index, null));
            release(b);
        }
    }

    public int blockSize() {
        return config.blockSize();
    }

    public synchronized MemoryPoolStats stats() {
        return new MemoryPoolStats(config.blockSize(), inUse, allocated, config.maxBlocks(), highWater, leases, waits, 0, growths, leaks);
    }

    public LeaseScope openScope(String owner) {
        return new LeaseScope(this, owner);
    }

    public synchronized void onLeak(Consumer<LeakReport> listener) {
        this.leakListener = listener;
    }

    @Override
    public void close() {
        arena.close();
    }
}
