package dev.reservoir.worker.memory;

import java.lang.foreign.MemorySegment;

public final class Block {
    final MemoryPool pool;
    final MemorySegment segment;
    final int index;
    boolean leased;

    Block(MemoryPool pool, MemorySegment segment, int index) {
        this.pool = pool;
        this.segment = segment;
        this.index = index;
    }

    public MemorySegment segment() {
        return segment;
    }

    public int index() {
        return index;
    }

    public void release() {
        pool.release(this);
    }
}
