package dev.reservoir.redis;

import static dev.reservoir.redis.Replies.b;

import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.spec.Retention;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The queue operations of one pool (docs/protocol.md), over plain Redis commands and the Lua scripts
 * beside this class; the key names are {@link PoolKeys}'s. Every Java component calls these operations
 * through this class, which delegates by concern:
 * <ul>
 *   <li>here: the stream and its group ({@link #ensureGroup}), and submitting ({@link #submit},
 *       {@link #xaddArgs});</li>
 *   <li>{@link TaskClaims}: claiming, renewing, reclaiming, requeueing and handing back tasks;</li>
 *   <li>{@link Results}: writing outcomes with the acknowledgement of their tasks, and reading a result
 *       back by task id;</li>
 *   <li>{@link QueueAdmin}: backlog, in flight, dead letters, counters, trimming;</li>
 *   <li>{@link Heartbeats}: workers' heartbeat records.</li>
 * </ul>
 * Two parts of the protocol are implemented by the Java client instead, because they are the client's
 * I/O loops rather than single operations: its {@code ReplyReader} reads and trims the client's reply
 * streams itself ({@code XREAD}, {@code XTRIM MINID}; each outcome decoded with
 * {@link TaskResult#decode}), and its {@code Submitter} pipelines {@code XADD}s whose arguments come
 * from {@link #xaddArgs}. A change to the reply stream's layout (complete.lua) changes {@code ReplyReader}
 * with it.
 *
 * <p>Stateless and thread-safe; each call takes the connection to use (the caller decides on pooling
 * and blocking).
 */
public final class PoolQueue {
    /** XADD's "let Redis choose the id". */
    private static final byte[] AUTO_ID = b("*");

    private final PoolKeys keys;
    private final byte[] tasksKey;
    private final byte[] group = b(PoolKeys.GROUP);
    private final TaskClaims claims;
    private final Results results;
    private final QueueAdmin admin;
    private final Heartbeats heartbeats;

    public PoolQueue(PoolKeys keys) {
        this.keys = keys;
        this.tasksKey = b(keys.tasks());
        this.claims = new TaskClaims(keys);
        this.results = new Results(keys);
        this.admin = new QueueAdmin(keys);
        this.heartbeats = new Heartbeats(keys);
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
        return claims.read(jedis, consumer, count, block);
    }

    /**
     * Sends the same XREADGROUP as {@link #read} without waiting for its answer (read it with
     * {@link #readAnswer}); {@code jedis} must be on a {@link FlushingConnection}.
     */
    public void sendRead(Jedis jedis, String consumer, int count, Duration block) {
        claims.sendRead(jedis, consumer, count, block);
    }

    /** The answer to a {@link #sendRead}: waits for it. */
    public List<StreamEntry> readAnswer(Jedis jedis) {
        return claims.readAnswer(jedis);
    }

    /**
     * Claims up to {@code count} tasks idle for at least {@code minIdle} (their owner stopped renewing),
     * looking at one page of the pending list after {@code cursor} ({@link Reclaimed#START} the first
     * time, then the previous call's {@link Reclaimed#cursor()}): calls that pass the cursor on walk the
     * whole pending list, so every abandoned claim is reached however long the list and however small
     * {@code count}.
     */
    public Reclaimed reclaim(Jedis jedis, String consumer, Duration minIdle, int count, String cursor) {
        return claims.reclaim(jedis, consumer, minIdle, count, cursor);
    }

    /** Renews claims of running tasks; returns the stream ids this consumer no longer owns. */
    public List<String> renew(Jedis jedis, String consumer, List<String> streamIds) {
        return claims.renew(jedis, consumer, streamIds);
    }

    /**
     * Moves tasks owned by {@code owner} back to the shared stream as new entries.
     *
     * @param extraAttempts 0 for tasks that never started, 1 for tasks that ran or may have run
     * @param lastError     error to carry along, or null to keep the previous one
     * @param counter       stats field to count the move under ({@link StatsFields})
     */
    public int requeue(Jedis jedis, String owner, int extraAttempts, String lastError, String counter, List<String> streamIds) {
        return claims.requeue(jedis, owner, extraAttempts, lastError, counter, streamIds);
    }

    /**
     * Hands back at once everything a dead worker had claimed (instead of waiting for the
     * visibility timeout) and deletes its consumer. Used by the operator and the local supervisor.
     */
    public int handBackAll(Jedis jedis, String deadConsumer, String reason) {
        return claims.handBackAll(jedis, deadConsumer, reason);
    }

    /**
     * As {@link #handBackAll(Jedis, String, String)}, but a task that would start an attempt beyond
     * {@code maxAttempts} is dead-lettered as WorkerLost instead (decided inside Redis: a task that
     * kills every worker that reads it is never read again).
     */
    public int handBackAll(Jedis jedis, String deadConsumer, String reason, int maxAttempts) {
        return claims.handBackAll(jedis, deadConsumer, reason, maxAttempts);
    }

    /** Removes a consumer from the group, but only when it owns nothing. */
    public boolean deleteConsumerIfIdle(Jedis jedis, String consumer) {
        return claims.deleteConsumerIfIdle(jedis, consumer);
    }

    /**
     * Writes outcomes and acknowledges their tasks atomically, in one script call per batch
     * (complete.lua, see {@link Results}); element i is false when task i was no longer ours (another
     * worker took it over, and its outcome is that worker's to write).
     */
    public boolean[] complete(Jedis jedis, String consumer, List<Outcome> outcomes, Duration resultTtl, Duration replyTtl,
                              long deadLetterMaxLen) {
        return results.complete(jedis, consumer, outcomes, resultTtl, replyTtl, deadLetterMaxLen);
    }

    /**
     * Entries not yet delivered to any worker: the group's lag. Acknowledged entries stay in the
     * stream until {@link #trim} removes them, so the stream length is not the backlog.
     */
    public long backlog(Jedis jedis) {
        return admin.backlog(jedis);
    }

    /**
     * Removes acknowledged entries from the head of the stream, and applies the pool's retention:
     * expired result buckets leave the result index, the oldest results go beyond
     * {@link Retention#maxResults()}, dead letters older than {@link Retention#deadLetterTtl()} go
     * (workers call it every second). Returns the stream entries removed.
     */
    public long trim(Jedis jedis, Retention retention) {
        return admin.trim(jedis, retention);
    }

    /** Entries claimed by workers and not yet acknowledged. */
    public long inFlight(Jedis jedis) {
        return admin.inFlight(jedis);
    }

    /** Pending entries per consumer (XPENDING summary). */
    public Map<String, Long> inFlightByConsumer(Jedis jedis) {
        return admin.inFlightByConsumer(jedis);
    }

    public long deadLetters(Jedis jedis) {
        return admin.deadLetters(jedis);
    }

    /** Pool-wide counters ({@link StatsFields}); missing counters read as 0. */
    public Map<String, Long> stats(Jedis jedis) {
        return admin.stats(jedis);
    }

    /**
     * The stored outcome of a task, or null when unknown or expired. Looks through the result buckets
     * newest first, pipelined: recent results are found in one round trip.
     */
    public TaskResult result(Jedis jedis, String taskId) {
        return results.result(jedis, taskId);
    }

    /** The Redis server's memory policy, limit, use and evictions: see {@link RedisMemory#problem()}. */
    public RedisMemory redisMemory(Jedis jedis) {
        return RedisMemory.read(jedis);
    }

    /**
     * {@link RedisMemory#problem()} of the server, or null when there is none or when {@code INFO} is not
     * allowed to this connection (an ACL): a check that must never stop a worker from consuming.
     */
    public String redisMemoryProblem(Jedis jedis) {
        try {
            return RedisMemory.read(jedis).problem();
        } catch (JedisDataException e) {
            return null;
        }
    }

    /** Live workers' heartbeats; records of workers that stopped renewing are pruned from the index. */
    public List<Heartbeat> heartbeats(Jedis jedis) {
        return heartbeats.heartbeats(jedis);
    }

    /** Publishes a heartbeat that expires after {@code ttl} unless renewed. */
    public void heartbeat(Jedis jedis, Heartbeat heartbeat, Duration ttl) {
        heartbeats.heartbeat(jedis, heartbeat, ttl);
    }

    public void removeHeartbeat(Jedis jedis, String workerId) {
        heartbeats.removeHeartbeat(jedis, workerId);
    }

    /**
     * What one {@link #reclaim} call took over, and where the next call goes on.
     *
     * @param cursor the stream id to pass to the next call; {@link #START} once the whole pending list was looked at
     */
    public record Reclaimed(List<StreamEntry> entries, String cursor) {
        /** The cursor of a walk from the head of the pending list. */
        public static final String START = "0-0";
    }

    /**
     * An outcome to write: the task's stream id, its result, where to push it, and for failures
     * the handler and payload kept in the dead letter.
     */
    public record Outcome(String streamId, TaskResult result, String replyKey, String handler, byte[] payload) {
    }
}
