package dev.reservoir.worker.memory;

import java.time.Duration;

/**
 * Back-pressure gave up: every block was leased for the whole bounded wait, and the pool could not grow
 * (it was at {@code maxBlocks}, or the native memory for another slab was refused). The message names
 * the settings to raise, and the refusal if there was one.
 */
public final class MemoryPoolExhaustedException extends Exception {
    private final int blockSize;
    private final int maxBlocks;
    private final Duration waited;

    MemoryPoolExhaustedException(String message, int blockSize, int maxBlocks, Duration waited) {
        super(message);
        this.blockSize = blockSize;
        this.maxBlocks = maxBlocks;
        this.waited = waited;
    }

    public int blockSize() {
        return blockSize;
    }

    public int maxBlocks() {
        return maxBlocks;
    }

    public Duration waited() {
        return waited;
    }
}
