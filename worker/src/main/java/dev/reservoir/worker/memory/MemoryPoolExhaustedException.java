package dev.reservoir.worker.memory;

import java.time.Duration;

/**
 * Back-pressure gave up: the pool was at {@code maxBlocks} with every block leased for the whole bounded
 * wait. The message names the settings to raise.
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
