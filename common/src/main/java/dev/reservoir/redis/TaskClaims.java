package dev.reservoir.redis;

import static dev.reservoir.redis.Replies.b;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.spec.SettingDefaults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Who owns which task: claiming new tasks, keeping claims alive, taking over abandoned ones, and giving
 * tasks back to the shared stream. A claim is an entry of the consumer group's pending list, owned by one
 * consumer (a worker id); docs/protocol.md, "Delivery guarantees".
 *
 * <ul>
 *   <li><b>Claim</b>: {@code XREADGROUP} (as a plain command, or sent ahead and answered later);</li>
 *   <li><b>renew</b> (renew.lua): resets a claim's idle time, and says which claims are no longer ours;</li>
 *   <li><b>reclaim</b> (reclaim.lua): takes over claims idle longer than the visibility timeout;</li>
 *   <li><b>requeue</b> (requeue.lua): a claim goes back to the stream as a new entry, its attempt number updated;</li>
 *   <li><b>hand back</b>: everything a dead consumer owns is requeued at once and the consumer deleted,
 *       but a consumer is deleted only when it owns nothing (delete-consumer.lua), so no claim is lost.</li>
 * </ul>
 * Stateless and thread-safe, as {@link PoolQueue}.
 */
final class TaskClaims {
    private static final Script REQUEUE = Script.load("requeue");
    private static final Script RECLAIM = Script.load("reclaim");
    private static final Script RENEW = Script.load("renew");
    private static final Script DELETE_CONSUMER = Script.load("delete-consumer");
    /** XPENDING page size while handing back a dead consumer's claims. */
    private static final String HAND_BACK_PAGE = "500";
    /**
     * Pending entries one reclaim call looks at: bounds its work in Redis, while a pool's whole pending
     * list (workers x (threads + prefetch)) is walked in a few calls.
     */
    static final int RECLAIM_PAGE = 500;

    private final PoolKeys keys;
    private final byte[] tasksKey;
    private final byte[] group = b(PoolKeys.GROUP);

    TaskClaims(PoolKeys keys) {
        this.keys = keys;
        this.tasksKey = b(keys.tasks());
    }

    List<StreamEntry> read(Jedis jedis, String consumer, int count, Duration block) {
        return StreamEntry.parseRead(jedis.sendCommand(Protocol.Command.XREADGROUP, readArgs(consumer, count, block)));
    }

    private byte[][] readArgs(String consumer, int count, Duration block) {
        return new byte[][] {b("GROUP"), group, b(consumer), b("COUNT"), b(Integer.toString(count)), b("BLOCK"),
                b(Long.toString(block.toMillis())), b("STREAMS"), tasksKey, b(">")};
    }

    void sendRead(Jedis jedis, String consumer, int count, Duration block) {
        if (!(jedis.getConnection() instanceof FlushingConnection c)) {
            throw new IllegalArgumentException("sendRead needs a connection from RedisEndpoint.connectFlushing");
        }
        c.sendCommand(Protocol.Command.XREADGROUP, readArgs(consumer, count, block));
        c.flushCommands();
    }

    List<StreamEntry> readAnswer(Jedis jedis) {
        return StreamEntry.parseRead(jedis.getConnection().getOne());
    }

    @SuppressWarnings("unchecked")
    PoolQueue.Reclaimed reclaim(Jedis jedis, String consumer, Duration minIdle, int count, String cursor) {
        List<Object> reply = (List<Object>) RECLAIM.run(jedis, List.of(tasksKey, b(keys.stats())),
                List.of(group, b(consumer), b(Long.toString(minIdle.toMillis())), b(Integer.toString(count)), b(cursor),
                        b(Integer.toString(RECLAIM_PAGE))));
        List<StreamEntry> out = new ArrayList<>();
        for (Object o : (List<Object>) reply.get(1)) {
            List<Object> triple = (List<Object>) o;
            out.add(StreamEntry.parse(List.of(triple.get(0), triple.get(1)), Replies.number(triple.get(2))));
        }
        return new PoolQueue.Reclaimed(out, Replies.text(reply.get(0)));
    }

    @SuppressWarnings("unchecked")
    List<String> renew(Jedis jedis, String consumer, List<String> streamIds) {
        if (streamIds.isEmpty()) {
            return List.of();
        }
        List<byte[]> args = new ArrayList<>(streamIds.size() + 2);
        args.add(group);
        args.add(b(consumer));
        streamIds.forEach(id -> args.add(b(id)));
        List<Object> lost = (List<Object>) RENEW.run(jedis, List.of(tasksKey), args);
        return lost.stream().map(Replies::text).toList();
    }

    int requeue(Jedis jedis, String owner, int extraAttempts, String lastError, String counter, List<String> streamIds) {
        return requeue(jedis, owner, extraAttempts, lastError, counter, 0, streamIds);
    }

    /** @param maxAttempts a task that would start an attempt beyond this is dead-lettered as WorkerLost instead; 0: no limit */
    int requeue(Jedis jedis, String owner, int extraAttempts, String lastError, String counter, int maxAttempts, List<String> streamIds) {
        if (streamIds.isEmpty()) {
            return 0;
        }
        List<byte[]> args = new ArrayList<>();
        args.add(group);
        args.add(b(owner));
        args.add(b(Integer.toString(extraAttempts)));
        args.add(b(lastError == null ? "" : lastError));
        args.add(b(counter));
        args.add(b(Integer.toString(maxAttempts)));
        args.add(b(Integer.toString(Results.DEAD_LETTER_PAYLOAD_PREFIX)));
        args.add(b(Long.toString(SettingDefaults.MAX_DEAD_LETTERS_MAX)));
        streamIds.forEach(id -> args.add(b(id)));
        return (int) Replies.number(REQUEUE.run(jedis, List.of(tasksKey, tasksKey, b(keys.stats()), b(keys.dead())), args));
    }

    int handBackAll(Jedis jedis, String deadConsumer, String reason) {
        return handBackAll(jedis, deadConsumer, reason, 0);
    }

    @SuppressWarnings("unchecked")
    int handBackAll(Jedis jedis, String deadConsumer, String reason, int maxAttempts) {
        int moved = 0;
        while (true) {
            List<Object> pending;
            try {
                pending = (List<Object>) jedis.sendCommand(Protocol.Command.XPENDING, tasksKey, group, b("-"), b("+"),
                        b(HAND_BACK_PAGE), b(deadConsumer));
            } catch (JedisDataException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                    return moved;
                }
                throw e;
            }
            if (pending.isEmpty()) {
                break;
            }
            List<String> ids = pending.stream().map(p -> Replies.text(((List<Object>) p).get(0))).toList();
            moved += requeue(jedis, deadConsumer, 1, reason, StatsFields.RECLAIMED, maxAttempts, ids);
        }
        deleteConsumerIfIdle(jedis, deadConsumer);
        return moved;
    }

    boolean deleteConsumerIfIdle(Jedis jedis, String consumer) {
        return Replies.number(DELETE_CONSUMER.run(jedis, List.of(tasksKey), List.of(group, b(consumer)))) == 1;
    }
}
