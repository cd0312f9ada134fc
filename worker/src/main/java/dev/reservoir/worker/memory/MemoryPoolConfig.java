package dev.reservoir.worker.memory;

// INTERIM (lead): replaced by the memory-pool branch.
public record MemoryPoolConfig(int blockSize, int initialBlocks, int maxBlocks, LeakDetection leakDetection) {
}
