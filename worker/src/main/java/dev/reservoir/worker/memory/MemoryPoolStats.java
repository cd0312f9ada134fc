package dev.reservoir.worker.memory;

public record MemoryPoolStats(int blockSize, long blocksInUse, long blocksAllocated, long maxBlocks, long highWater, long leases,
                              long waits, long waitTimeouts, long growths, long leaks) {
}
