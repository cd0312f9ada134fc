package dev.reservoir.redis;

import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.MalformedEntryException;
import dev.reservoir.protocol.PoolKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;

/**
 * The pool's live workers: each worker's heartbeat record (a hash that expires unless renewed) and the
 * index of worker ids scored by their last heartbeat. docs/protocol.md, "Heartbeats".
 *
 * <p>A record and its index entry are written in one {@code MULTI}, so a reader never sees a fresh index
 * entry for a record that is not there yet; a reader that finds the record expired (or the id invalid)
 * removes the index entry, which is how the index is kept small without a sweeper. Stateless and
 * thread-safe, as {@link PoolQueue}.
 */
final class Heartbeats {
    private final PoolKeys keys;

    Heartbeats(PoolKeys keys) {
        this.keys = keys;
    }

    List<Heartbeat> heartbeats(Jedis jedis) {
        List<Heartbeat> out = new ArrayList<>();
        for (String id : jedis.zrange(keys.workers(), 0, -1)) {
            if (!PoolKeys.isValidId(id)) {
                jedis.zrem(keys.workers(), id); // not a worker id this protocol can produce
                continue;
            }
            Map<String, String> fields = jedis.hgetAll(keys.worker(id));
            if (fields.isEmpty()) {
                jedis.zrem(keys.workers(), id);
                continue;
            }
            try {
                out.add(Heartbeat.fromFields(fields));
            } catch (MalformedEntryException e) {
                // one unreadable record must not hide the others; it expires like any heartbeat
            }
        }
        return out;
    }

    void heartbeat(Jedis jedis, Heartbeat heartbeat, Duration ttl) {
        String key = keys.worker(heartbeat.workerId());
        var tx = jedis.multi();
        tx.hset(key, heartbeat.toFields());
        tx.pexpire(key, ttl.toMillis());
        tx.zadd(keys.workers(), heartbeat.updatedAt(), heartbeat.workerId());
        tx.exec();
    }

    void removeHeartbeat(Jedis jedis, String workerId) {
        jedis.del(keys.worker(workerId));
        jedis.zrem(keys.workers(), workerId);
    }
}
