package dev.reservoir.bench.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The design the memory pool avoids, kept as a baseline: one lock-free free list (a Treiber stack of block
 * indexes with a tagged head against ABA) shared by every thread. Fast on one thread; at two threads
 * every lease and release moves the head's cache line between cores.
 */
final class SharedFreeList implements AutoCloseable {
    private static final int EMPTY = -1;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] segments;
    private final int[] next;
    /** tag (upper 32 bits, bumped by every pop) | index of the top block (lower 32 bits). */
    private final AtomicLong head = new AtomicLong();

    SharedFreeList(int blockSize, int blocks) {
        MemorySegment slab = arena.allocate((long) blockSize * blocks, 4096);
        segments = new MemorySegment[blocks];
        next = new int[blocks];
        for (int i = 0; i < blocks; i++) {
            segments[i] = slab.asSlice((long) i * blockSize, blockSize);
            next[i] = i + 1 < blocks ? i + 1 : EMPTY;
        }
        head.set(0);
    }

    /** Index of a free block, or -1. */
    int lease() {
        for (;;) {
            long h = head.get();
            int index = (int) h;
            if (index == EMPTY) {
                return EMPTY;
            }
            long tag = (h >>> 32) + 1;
            if (head.compareAndSet(h, tag << 32 | (next[index] & 0xFFFFFFFFL))) {
                return index;
            }
        }
    }

    void release(int index) {
        for (;;) {
            long h = head.get();
            next[index] = (int) h;
            if (head.compareAndSet(h, (h & 0xFFFFFFFF00000000L) | index)) {
                return;
            }
        }
    }

    MemorySegment segment(int index) {
        return segments[index];
    }

    @Override
    public void close() {
        arena.close();
    }
}
