package dev.reservoir.worker.memory;

/**
 * A snapshot of a {@link MemoryPool}. Counters are cumulative since the pool started. Each stripe is read
 * under its lock, but the stripes are not read at one instant, so under concurrent use the figures are
 * consistent per stripe, not across stripes.
 *
 * @param blockSize       bytes per block
 * @param blocksInUse     blocks leased and not yet released
 * @param blocksAllocated blocks allocated so far (initial slab plus growth); never more than maxBlocks
 * @param maxBlocks       the cap on blocksAllocated
 * @param highWater       the most blocks seen in use at once (sampled, see {@link MemoryPool})
 * @param leases          leases handed out
 * @param waits           leases that found the pool at maxBlocks with nothing free and had to wait
 * @param waitTimeouts    waits that ended without a block ({@link MemoryPoolExhaustedException})
 * @param growths         slabs allocated after the initial one
 * @param leaks           leases reported as never released
 */
public record MemoryPoolStats(int blockSize, int blocksInUse, int blocksAllocated, int maxBlocks, int highWater,
                              long leases, long waits, long waitTimeouts, long growths, long leaks) {

    /** Blocks allocated and not leased. */
    public int blocksFree() {
        return blocksAllocated - blocksInUse;
    }
}
