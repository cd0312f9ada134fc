package dev.reservoir.redis;

import static dev.reservoir.redis.Replies.b;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.spec.Retention;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A pool's figures and upkeep: backlog, tasks in flight (per consumer), dead letters, counters, and
 * trimming what is done with. docs/protocol.md, "Pool gauges".
 *
 * <p>A pool whose stream or group does not exist yet (nothing submitted, no worker started) reads as an
 * empty pool: readers look at pools at any point of their life. Stateless and thread-safe, as
 * {@link PoolQueue}.
 */
final class QueueAdmin {
    private static final Script TRIM = Script.load("trim");
    private static final Script PRUNE_RESULTS = Script.load("prune-results");
    /** The counters {@link #stats} always reports, 0 until first incremented. */
    private static final List<String> COUNTERS = List.of(StatsFields.COMPLETED, StatsFields.FAILED, StatsFields.RETRIED,
            StatsFields.RECLAIMED, StatsFields.DEAD_LETTERED, StatsFields.HANDED_BACK);

    private final PoolKeys keys;
    private final byte[] tasksKey;
    private final byte[] group = b(PoolKeys.GROUP);

    QueueAdmin(PoolKeys keys) {
        this.keys = keys;
        this.tasksKey = b(keys.tasks());
    }

    @SuppressWarnings("unchecked")
    long backlog(Jedis jedis) {
        List<Object> groups;
        try {
            groups = (List<Object>) jedis.sendCommand(Protocol.Command.XINFO, b("GROUPS"), tasksKey);
        } catch (JedisDataException e) {
            return 0; // no stream yet
        }
        for (Object g : groups) {
            List<Object> fields = (List<Object>) g;
            Map<String, Object> info = new LinkedHashMap<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                info.put(Replies.text(fields.get(i)), fields.get(i + 1));
            }
            if (PoolKeys.GROUP.equals(Replies.text(info.get("name")))) {
                Object lag = info.get("lag");
                if (lag != null) {
                    return Replies.number(lag);
                }
                // lag unknown (entries deleted after the group's position): count what follows it
                String last = Replies.text(info.get("last-delivered-id"));
                List<Object> rest = (List<Object>) jedis.sendCommand(Protocol.Command.XRANGE, tasksKey, b("(" + last), b("+"));
                return rest.size();
            }
        }
        return Replies.number(jedis.sendCommand(Protocol.Command.XLEN, tasksKey));
    }

    long trim(Jedis jedis, Retention retention) {
        PRUNE_RESULTS.run(jedis, List.of(b(keys.resultIndex()), b(keys.resultSizes())),
                List.of(b(Long.toString(retention.maxResults()))));
        // Dead letters older than their TTL: MINID ~ trims whole stream nodes only, so this is cheap when there is nothing to do.
        long oldest = System.currentTimeMillis() - retention.deadLetterTtl().toMillis();
        jedis.sendCommand(Protocol.Command.XTRIM, b(keys.dead()), b("MINID"), b("~"), b(oldest + "-0"));
        try {
            return Replies.number(TRIM.run(jedis, List.of(tasksKey), List.of(group)));
        } catch (JedisDataException e) {
            return 0; // no stream or group yet
        }
    }

    @SuppressWarnings("unchecked")
    long inFlight(Jedis jedis) {
        try {
            List<Object> summary = (List<Object>) jedis.sendCommand(Protocol.Command.XPENDING, tasksKey, group);
            return Replies.number(summary.get(0));
        } catch (JedisDataException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                return 0;
            }
            throw e;
        }
    }

    @SuppressWarnings("unchecked")
    Map<String, Long> inFlightByConsumer(Jedis jedis) {
        Map<String, Long> out = new LinkedHashMap<>();
        try {
            List<Object> summary = (List<Object>) jedis.sendCommand(Protocol.Command.XPENDING, tasksKey, group);
            if (summary.size() > 3 && summary.get(3) != null) {
                for (Object o : (List<Object>) summary.get(3)) {
                    List<Object> pair = (List<Object>) o;
                    out.put(Replies.text(pair.get(0)), Replies.number(pair.get(1)));
                }
            }
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("NOGROUP")) {
                throw e;
            }
        }
        return out;
    }

    long deadLetters(Jedis jedis) {
        return Replies.number(jedis.sendCommand(Protocol.Command.XLEN, b(keys.dead())));
    }

    Map<String, Long> stats(Jedis jedis) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String f : COUNTERS) {
            out.put(f, 0L);
        }
        jedis.hgetAll(keys.stats()).forEach((k, v) -> {
            try {
                out.put(k, Long.parseLong(v));
            } catch (NumberFormatException e) {
                // not ours to fail on: a counter someone overwrote reads as 0 until it is incremented again
            }
        });
        return out;
    }
}
