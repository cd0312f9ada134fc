package dev.reservoir.operator.queue;

import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.redis.PoolQueue;
import java.util.LinkedHashMap;
import java.util.Map;
import redis.clients.jedis.Jedis;

/** Reads a pool's queue state: a handful of Redis commands, no writes but pruning expired heartbeat index entries. */
public final class QueueObserver {
    private QueueObserver() {
    }

    public static QueueObservation observe(Jedis jedis, PoolQueue queue) {
        Map<String, Heartbeat> heartbeats = new LinkedHashMap<>();
        for (Heartbeat h : queue.heartbeats(jedis)) {
            heartbeats.put(h.workerId(), h);
        }
        Map<String, Long> pending = queue.inFlightByConsumer(jedis);
        long inFlight = pending.values().stream().mapToLong(Long::longValue).sum();
        long backlog = queue.backlog(jedis);
        Map<String, Long> stats = queue.stats(jedis);
        return new QueueObservation(heartbeats, pending, backlog, inFlight, stats.get(StatsFields.COMPLETED), stats.get(StatsFields.FAILED),
                stats.get(StatsFields.DEAD_LETTERED));
    }
}
