package dev.reservoir.client;

import dev.reservoir.protocol.Heartbeat;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of a pool as Redis sees it: queue depth, work in progress, dead letters, pool-wide
 * counters (dev.reservoir.protocol.StatsFields) and the live workers' heartbeats.
 *
 * @param backlog     tasks queued and not yet claimed by any worker
 * @param inFlight    tasks claimed by workers and not yet finished
 * @param deadLetters entries in the dead-letter stream
 */
public record PoolStatus(String pool, long backlog, long inFlight, long deadLetters, Map<String, Long> counters,
                         List<Heartbeat> workers) {

    public int threads() {
        return workers.stream().mapToInt(Heartbeat::threads).sum();
    }

    public int busyThreads() {
        return workers.stream().mapToInt(Heartbeat::busyThreads).sum();
    }
}
