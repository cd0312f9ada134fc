package dev.reservoir.redis;

import static dev.reservoir.redis.Replies.b;

import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.MalformedEntryException;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The queue operations of one pool, over plain Redis commands and the scripts beside this class.
 * Worker, client, local supervisor and operator go through here for the shared stream, results,
 * dead letters, counters and heartbeats. Two paths of the Java client speak the protocol
 * (docs/protocol.md) on their own, because they pipeline on connections of their own: its
 * submitter sends the XADDs built by {@link #xaddArgs}, and its reply reader reads and trims the
 * client's reply streams ({@code XREAD}, {@code XTRIM}) and decodes outcomes with
 * {@code TaskResult}. Stateless and thread-safe; each call takes the connection to use (the caller
 * decides on pooling and blocking).
 */
public final class PoolQueue {
    private static final Script COMPLETE = Script.load("complete");
    private static final Script REQUEUE = Script.load("requeue");
    private static final Script RECLAIM = Script.load("reclaim");
    private static final Script RENEW = Script.load("renew");
    private static final Script DELETE_CONSUMER = Script.load("delete-consumer");
    private static final Script TRIM = Script.load("trim");
    private static final Script PRUNE_RESULTS = Script.load("prune-results");

    private final PoolKeys keys;
    private final byte[] tasksKey;
    private final byte[] group = b(PoolKeys.GROUP);
    /** XADD's "let Redis choose the id". */
    private static final byte[] AUTO_ID = b("*");

    public PoolQueue(PoolKeys keys) {
        this.keys = keys;
        this.tasksKey = b(keys.tasks());
    }

    public PoolQueue(String pool) {
        this(new PoolKeys(pool));
    }

    public PoolKeys keys() {
        return keys;
    }

    /**
     * Creates the stream and its consumer group if missing. The group starts at id 0, so tasks
     * submitted before the first worker started are not skipped.
     */
    public void ensureGroup(Jedis jedis) {
        try {
            jedis.sendCommand(Protocol.Command.XGROUP, b("CREATE"), tasksKey, group, b("0"), b("MKSTREAM"));
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    /** Adds a task to the shared stream; returns the stream id. */
    public String submit(Jedis jedis, Task task) {
        return Replies.text(jedis.sendCommand(Protocol.Command.XADD, xaddArgs(task)));
    }

    /** The XADD arguments of a task, for callers that pipeline many submissions. */
    public byte[][] xaddArgs(Task task) {
        byte[][] args = task.fieldArgs(2);
        args[0] = tasksKey;
        args[1] = AUTO_ID;
        return args;
    }

    /**
     * XREADGROUP ... BLOCK: new tasks for {@code consumer}, empty after {@code block} with none. Sent as
     * a plain command so the connection's socket timeout stays on (give it one longer than
     * {@code block}): a link that dies silently then fails the read instead of hanging it.
     */
    public List<StreamEntry> read(Jedis jedis, String consumer, int count, Duration block) {
        return StreamEntry.parseRead(jedis.sendCommand(Protocol.Command.XREADGROUP, readArgs(consumer, count, block)));
    }

    private byte[][] readArgs(String consumer, int count, Duration block) {
        return new byte[][] {b("GROUP"), group, b(consumer), b("COUNT"), b(Integer.toString(count)), b("BLOCK"),
                b(Long.toString(block.toMillis())), b("STREAMS"), tasksKey, b(">")};
    }

    /**
     * Sends the same XREADGROUP as {@link #read} without waiting for its answer (read it with
     * {@link #readAnswer}); {@code jedis} must be on a {@link FlushingConnection}.
     */
    public void sendRead(Jedis jedis, String consumer, int count, Duration block) {
        if (!(jedis.getConnection() instanceof FlushingConnection c)) {
            throw new IllegalArgumentException("sendRead needs a connection from RedisEndpoint.connectFlushing");
        }
        c.sendCommand(Protocol.Command.XREADGROUP, readArgs(consumer, count, block));
        c.flushCommands();
    }

    /** The answer to a {@link #sendRead}: waits for it. */
    public List<StreamEntry> readAnswer(Jedis jedis) {
        return StreamEntry.parseRead(jedis.getConnection().getOne());
    }

    /** Claims up to {@code count} tasks idle for at least {@code minIdle} (their owner stopped renewing). */
    @SuppressWarnings("unchecked")
    public List<StreamEntry> reclaim(Jedis jedis, String consumer, Duration minIdle, int count) {
        Object reply = RECLAIM.run(jedis, List.of(tasksKey, b(keys.stats())),
                List.of(group, b(consumer), b(Long.toString(minIdle.toMillis())), b(Integer.toString(count))));
        List<StreamEntry> out = new ArrayList<>();
        for (Object o : (List<Object>) reply) {
            List<Object> triple = (List<Object>) o;
            out.add(StreamEntry.parse(List.of(triple.get(0), triple.get(1)), Replies.number(triple.get(2))));
        }
        return out;
    }

    /** Renews claims of running tasks; returns the stream ids this consumer no longer owns. */
    @SuppressWarnings("unchecked")
    public List<String> renew(Jedis jedis, String consumer, List<String> streamIds) {
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

    /**
     * Moves tasks owned by {@code owner} back to the shared stream as new entries.
     *
     * @param extraAttempts 0 for tasks that never started, 1 for tasks that ran or may have run
     * @param lastError     error to carry along, or null to keep the previous one
     * @param counter       stats field to count the move under ({@link StatsFields})
     */
    public int requeue(Jedis jedis, String owner, int extraAttempts, String lastError, String counter, List<String> streamIds) {
        if (streamIds.isEmpty()) {
            return 0;
        }
        List<byte[]> args = new ArrayList<>();
        args.add(group);
        args.add(b(owner));
        args.add(b(Integer.toString(extraAttempts)));
        args.add(b(lastError == null ? "" : lastError));
        args.add(b(counter));
        streamIds.forEach(id -> args.add(b(id)));
        return (int) Replies.number(REQUEUE.run(jedis, List.of(tasksKey, tasksKey, b(keys.stats())), args));
    }

    /**
     * Hands back at once everything a dead worker had claimed (instead of waiting for the
     * visibility timeout) and deletes its consumer. Used by the operator and the local supervisor.
     */
    @SuppressWarnings("unchecked")
    public int handBackAll(Jedis jedis, String deadConsumer, String reason) {
        int moved = 0;
        while (true) {
            List<Object> pending;
            try {
                pending = (List<Object>) jedis.sendCommand(Protocol.Command.XPENDING, tasksKey, group, b("-"), b("+"), b("500"),
                        b(deadConsumer));
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
            moved += requeue(jedis, deadConsumer, 1, reason, StatsFields.RECLAIMED, ids);
        }
        deleteConsumerIfIdle(jedis, deadConsumer);
        return moved;
    }

    /** Removes a consumer from the group, but only when it owns nothing. */
    public boolean deleteConsumerIfIdle(Jedis jedis, String consumer) {
        return Replies.number(DELETE_CONSUMER.run(jedis, List.of(tasksKey), List.of(group, b(consumer)))) == 1;
    }

    /**
     * Writes outcomes and acknowledges their tasks atomically (complete.lua); element i is false when
     * task i was no longer ours (another worker took it over, and its outcome is that worker's to write).
     * One script call per batch: the outcomes go to the current result bucket with one HSET and to each
     * reply stream as one entry, so the per-task cost in Redis stays a few field writes.
     */
    @SuppressWarnings("unchecked")
    public boolean[] complete(Jedis jedis, String consumer, List<Outcome> outcomes, Duration resultTtl, Duration replyTtl,
                              long deadLetterMaxLen) {
        int n = outcomes.size();
        if (n == 0) {
            return new boolean[0];
        }
        long now = System.currentTimeMillis();
        List<byte[]> keyList = new ArrayList<>(6);
        keyList.add(tasksKey);
        keyList.add(b(keys.dead()));
        keyList.add(b(keys.stats()));
        keyList.add(b(keys.resultBucket(now)));
        keyList.add(b(keys.resultIndex()));
        // The script takes the outcomes grouped by reply stream (0: none), so that it can pass each
        // group's arguments on to XADD as they are; order[k] is the caller's index of the k-th outcome.
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        long lowMs = Long.MAX_VALUE;
        long lowSeq = Long.MAX_VALUE;
        long highMs = -1;
        long highSeq = -1;
        int lowAt = 0;
        int highAt = 0;
        for (int i = 0; i < n; i++) {
            Outcome o = outcomes.get(i);
            String id = o.streamId();
            int dash = id.indexOf('-');
            long ms = Long.parseLong(id, 0, dash < 0 ? id.length() : dash, 10);
            long seq = dash < 0 ? 0 : Long.parseLong(id, dash + 1, id.length(), 10);
            if (ms < lowMs || ms == lowMs && seq < lowSeq) {
                lowMs = ms;
                lowSeq = seq;
                lowAt = i;
            }
            if (ms > highMs || ms == highMs && seq > highSeq) {
                highMs = ms;
                highSeq = seq;
                highAt = i;
            }
            groups.computeIfAbsent(o.replyKey() == null ? "" : o.replyKey(), k -> new ArrayList<>()).add(i);
        }
        String low = outcomes.get(lowAt).streamId();
        String high = outcomes.get(highAt).streamId();
        // A reply key that is not a reply stream of this pool gets no reply (the result is still kept):
        // validated once per distinct key, not per task.
        List<Integer> noReply = groups.remove("");
        for (var it = groups.entrySet().iterator(); it.hasNext(); ) {
            var g = it.next();
            if (!keys.isReplyKey(g.getKey())) {
                noReply = noReply == null ? new ArrayList<>() : noReply;
                noReply.addAll(g.getValue());
                it.remove();
            }
        }
        if (noReply != null) {
            groups.put("", noReply);
        }
        int[] order = new int[n];
        int k = 0;
        for (List<Integer> members : groups.values()) {
            for (int i : members) {
                order[k++] = i;
            }
        }
        List<byte[]> args = new ArrayList<>(11 + 3 * n + 2 * groups.size());
        args.add(group);
        args.add(b(consumer));
        args.add(b(Long.toString(Math.max(1, resultTtl.toMillis()))));
        args.add(b(Long.toString(Math.max(1, replyTtl.toMillis()))));
        args.add(b(Long.toString(deadLetterMaxLen)));
        args.add(b(Long.toString(PoolKeys.resultBucketNumber(now))));
        args.add(b(low));
        args.add(b(high));
        args.add(b(Integer.toString(n)));
        int failedAt = args.size();
        args.add(null); // failed count, known below
        args.add(b(Integer.toString(groups.size())));
        for (int i : order) {
            args.add(b(outcomes.get(i).streamId()));
        }
        for (Map.Entry<String, List<Integer>> g : groups.entrySet()) {
            int number = 0;
            if (!g.getKey().isEmpty()) {
                keyList.add(b(g.getKey()));
                number = keyList.size() - 5;
            }
            args.add(b(Integer.toString(number)));
            args.add(b(Integer.toString(g.getValue().size())));
        }
        int failed = 0;
        for (int i : order) {
            TaskResult r = outcomes.get(i).result();
            args.add(b(r.taskId()));
            args.add(r.encode());
            if (r.status() == TaskStatus.FAILED) {
                failed++;
            }
        }
        args.set(failedAt, b(Integer.toString(failed)));
        for (int j = 0; j < n && failed > 0; j++) {
            Outcome o = outcomes.get(order[j]);
            if (o.result().status() != TaskStatus.FAILED) {
                continue;
            }
            // The dead letter keeps the task's handler and payload (to inspect or resubmit) with the result fields.
            Map<String, byte[]> fields = new LinkedHashMap<>();
            fields.put("handler", b(o.handler() == null ? "" : o.handler()));
            fields.put("payload", o.payload() == null ? new byte[0] : o.payload());
            fields.putAll(o.result().toFields());
            args.add(b(Integer.toString(j + 1)));
            args.add(b(Integer.toString(fields.size())));
            fields.forEach((name, value) -> {
                args.add(b(name));
                args.add(value);
            });
        }
        List<Object> skipped = (List<Object>) COMPLETE.run(jedis, keyList, args);
        boolean[] written = new boolean[n];
        java.util.Arrays.fill(written, true);
        for (Object number : skipped) {
            written[order[(int) Replies.number(number) - 1]] = false;
        }
        return written;
    }

    /**
     * Entries not yet delivered to any worker: the group's lag. Acknowledged entries stay in the
     * stream until {@link #trim} removes them, so the stream length is not the backlog.
     */
    @SuppressWarnings("unchecked")
    public long backlog(Jedis jedis) {
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

    /**
     * Removes acknowledged entries from the head of the stream, and expired result buckets from the
     * result index (workers call it periodically).
     */
    public long trim(Jedis jedis) {
        PRUNE_RESULTS.run(jedis, List.of(b(keys.resultIndex())), List.of());
        try {
            return Replies.number(TRIM.run(jedis, List.of(tasksKey), List.of(group)));
        } catch (JedisDataException e) {
            return 0; // no stream or group yet
        }
    }

    /** Entries claimed by workers and not yet acknowledged. */
    @SuppressWarnings("unchecked")
    public long inFlight(Jedis jedis) {
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

    /** Pending entries per consumer (XPENDING summary). */
    @SuppressWarnings("unchecked")
    public Map<String, Long> inFlightByConsumer(Jedis jedis) {
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

    public long deadLetters(Jedis jedis) {
        return Replies.number(jedis.sendCommand(Protocol.Command.XLEN, b(keys.dead())));
    }

    /** Pool-wide counters ({@link StatsFields}); missing counters read as 0. */
    public Map<String, Long> stats(Jedis jedis) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String f : List.of(StatsFields.COMPLETED, StatsFields.FAILED, StatsFields.RETRIED, StatsFields.RECLAIMED,
                StatsFields.DEAD_LETTERED, StatsFields.HANDED_BACK)) {
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

    /**
     * The stored outcome of a task, or null when unknown or expired. Looks through the result buckets
     * newest first, pipelined: recent results are found in one round trip.
     */
    public TaskResult result(Jedis jedis, String taskId) {
        List<String> buckets = jedis.zrevrange(keys.resultIndex(), 0, -1);
        byte[] field = b(taskId);
        // Recent results first (one round trip for the last few minutes), then the rest in big slices:
        // a task that has no result yet costs ~buckets / 256 round trips, not one per bucket.
        for (int from = 0, size = 4; from < buckets.size(); from += size, size = 256) {
            List<String> slice = buckets.subList(from, Math.min(buckets.size(), from + size));
            Pipeline p = jedis.pipelined();
            List<Response<byte[]>> found = new ArrayList<>(slice.size());
            slice.forEach(bucket -> found.add(p.hget(b(bucket), field)));
            p.sync();
            for (Response<byte[]> r : found) {
                if (r.get() != null) {
                    return TaskResult.decode(taskId, r.get());
                }
            }
        }
        return null;
    }

    /** Live workers' heartbeats; records of workers that stopped renewing are pruned from the index. */
    public List<Heartbeat> heartbeats(Jedis jedis) {
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

    /** Publishes a heartbeat that expires after {@code ttl} unless renewed. */
    public void heartbeat(Jedis jedis, Heartbeat heartbeat, Duration ttl) {
        String key = keys.worker(heartbeat.workerId());
        var tx = jedis.multi();
        tx.hset(key, heartbeat.toFields());
        tx.pexpire(key, ttl.toMillis());
        tx.zadd(keys.workers(), heartbeat.updatedAt(), heartbeat.workerId());
        tx.exec();
    }

    public void removeHeartbeat(Jedis jedis, String workerId) {
        jedis.del(keys.worker(workerId));
        jedis.zrem(keys.workers(), workerId);
    }

    /**
     * An outcome to write: the task's stream id, its result, where to push it, and for failures
     * the handler and payload kept in the dead letter.
     */
    public record Outcome(String streamId, TaskResult result, String replyKey, String handler, byte[] payload) {
    }
}
