package dev.reservoir.worker.memory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

public final class LeaseScope implements AutoCloseable {
    private final MemoryPool pool;
    private final String owner;
    private final List<Block> leases = new ArrayList<>();

    LeaseScope(MemoryPool pool, String owner) {
        this.pool = pool;
        this.owner = owner;
    }

    public Block lease(Duration maxWait) throws MemoryPoolExhaustedException, InterruptedException {
        Block b = pool.lease(maxWait);
        leases.add(b);
        return b;
    }

    @Override
    public void close() {
        for (Block b : leases) {
            pool.releaseIfLeased(b, owner);
        }
    }
}
