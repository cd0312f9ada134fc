package dev.reservoir.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.ReplyStreams;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import dev.reservoir.spec.PoolSettings;
import dev.reservoir.spec.Retention;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/** The queue scripts against a real redis-server. */
class PoolQueueTest {
    /** The defaults: a day of results, at most a million, dead letters for a week, at most 100,000. */
    static final Retention RETENTION = PoolSettings.defaults().retention();
    static RedisServerProcess redis;
    Jedis jedis;
    PoolQueue queue;
    PoolKeys keys;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.onFreePort(false).start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void connect() {
        jedis = new Jedis("127.0.0.1", redis.port());
        jedis.flushAll();
        keys = new PoolKeys("test");
        queue = new PoolQueue(keys);
        queue.ensureGroup(jedis);
        queue.ensureGroup(jedis); // idempotent
    }

    private Task task(String id) {
        return Task.of(id, "echo", id.getBytes(StandardCharsets.UTF_8), keys.reply("c1"));
    }

    @Test
    void completeWritesResultReplyAndAcknowledgesOnlyForTheOwner() {
        queue.submit(jedis, task("a"));
        StreamEntry entry = queue.read(jedis, "w1", 10, Duration.ofMillis(100)).getFirst();
        assertThat(Task.fromFields(entry.fields()).id()).isEqualTo("a");

        // another consumer cannot complete it
        TaskResult ok = TaskResult.ok("a", "A".getBytes(StandardCharsets.UTF_8), 1, "w2", 5);
        boolean[] wrong = queue.complete(jedis, "w2", List.of(new PoolQueue.Outcome(entry.id(), ok, keys.reply("c1"), "echo", null)),
                Duration.ofMinutes(1), Duration.ofMinutes(1), 1000);
        assertThat(wrong).containsExactly(false);
        assertThat(queue.result(jedis, "a")).isNull();

        // complete() picks the bucket from its own clock read, taken between these two: across a minute
        // boundary the two name different buckets, and the one written is one of them
        long before = System.currentTimeMillis();
        boolean[] right = queue.complete(jedis, "w1", List.of(new PoolQueue.Outcome(entry.id(), ok, keys.reply("c1"), "echo", null)),
                Duration.ofMinutes(1), Duration.ofMinutes(1), 1000);
        long after = System.currentTimeMillis();
        assertThat(right).containsExactly(true);
        assertThat(queue.result(jedis, "a").valueAsString()).isEqualTo("A");
        assertThat(jedis.xlen(keys.reply("c1"))).isEqualTo(1);
        List<String> candidates = java.util.stream.Stream.of(before, after).map(keys::resultBucket).distinct().toList();
        List<String> written = candidates.stream().filter(b -> jedis.hexists(b, "a")).toList();
        assertThat(written).as("the result is in the bucket of the minute it was written (one of %s)", candidates).hasSize(1);
        String bucket = written.getFirst();
        assertThat(jedis.ttl(bucket)).as("the bucket lives the result TTL").isBetween(1L, 60L);
        assertThat(jedis.zrange(keys.resultIndex(), 0, -1)).as("the bucket is indexed for get()").contains(bucket);
        assertThat(queue.inFlight(jedis)).isZero();
        assertThat(queue.backlog(jedis)).isZero();
        assertThat(jedis.xlen(keys.tasks())).as("acknowledged, not yet trimmed").isEqualTo(1);
        assertThat(queue.trim(jedis, RETENTION)).isEqualTo(1);
        assertThat(jedis.xlen(keys.tasks())).isZero();
        assertThat(queue.stats(jedis).get(StatsFields.COMPLETED)).isEqualTo(1);

        // completing twice is a no-op: exactly one outcome
        assertThat(queue.complete(jedis, "w1", List.of(new PoolQueue.Outcome(entry.id(), ok, keys.reply("c1"), "echo", null)),
                Duration.ofMinutes(1), Duration.ofMinutes(1), 1000)).containsExactly(false);
        assertThat(jedis.xlen(keys.reply("c1"))).isEqualTo(1);
    }

    /** Submits and claims {@code n} tasks replying to {@code replyKey}, and completes them as w1, one batch each. */
    private void completeOneByOne(int n, String replyKey, Duration replyTtl) {
        redis.clients.jedis.Pipeline p = jedis.pipelined();
        for (int i = 0; i < n; i++) {
            p.sendCommand(Protocol.Command.XADD, queue.xaddArgs(Task.of("r" + i, "echo", new byte[0], replyKey)));
        }
        p.sync();
        List<StreamEntry> claimed = queue.read(jedis, "w1", n, Duration.ofMillis(100));
        assertThat(claimed).hasSize(n);
        for (StreamEntry e : claimed) {
            String id = Task.fromFields(e.fields()).id();
            assertThat(queue.complete(jedis, "w1", List.of(new PoolQueue.Outcome(e.id(), TaskResult.ok(id, new byte[0], 1, "w1", 1),
                    replyKey, "echo", null)), Duration.ofMinutes(1), replyTtl, 1000)).containsExactly(true);
        }
    }

    @Test
    void aReplyStreamNobodyReadsIsCappedInLength() {
        int n = (int) ReplyStreams.MAX_ENTRIES + 2000;
        completeOneByOne(n, keys.reply("gone"), Duration.ofMinutes(1));
        // MAXLEN ~ trims whole radix-tree nodes (100 entries by default): a little over the cap, never far
        assertThat(jedis.xlen(keys.reply("gone"))).isBetween(ReplyStreams.MAX_ENTRIES, ReplyStreams.MAX_ENTRIES + 200);
        // every outcome is still kept by task id
        assertThat(queue.stats(jedis)).containsEntry(StatsFields.COMPLETED, (long) n);
        assertThat(queue.result(jedis, "r0")).isNotNull();
        assertThat(queue.result(jedis, "r" + (n - 1))).isNotNull();
    }

    @Test
    void outcomesForAClientThatWentAwayDoNotRenewItsReplyStream() {
        String reply = keys.reply("gone");
        completeOneByOne(1, reply, Duration.ofMinutes(1));
        assertThat(jedis.pttl(reply)).as("set by the write that created the stream").isBetween(1L, 60_000L);
        // most of the TTL has passed, and outcomes keep coming for the client, which no longer reads
        jedis.pexpire(reply, 3000);
        jedis.del(keys.tasks()); // a fresh stream for the next tasks
        queue.ensureGroup(jedis);
        completeOneByOne(3, reply, Duration.ofMinutes(1));
        assertThat(jedis.pttl(reply)).as("not renewed by later outcomes").isBetween(1L, 3000L);
        // once it has expired, the next outcome starts a new stream, bounded the same way
        jedis.del(reply);
        jedis.del(keys.tasks());
        queue.ensureGroup(jedis);
        completeOneByOne(1, reply, Duration.ofMinutes(1));
        assertThat(jedis.pttl(reply)).isBetween(1L, 60_000L);
    }

    @Test
    void aReadSentAheadIsAnsweredLaterAndNeedsAFlushingConnection() {
        dev.reservoir.redis.RedisEndpoint endpoint = dev.reservoir.redis.RedisEndpoint.parse(redis.url(), null);
        try (Jedis ahead = endpoint.connectFlushing("test-ahead", Duration.ofSeconds(5))) {
            queue.sendRead(ahead, "w1", 10, Duration.ofSeconds(5)); // blocks in Redis: nothing queued yet
            queue.submit(jedis, task("late"));
            List<StreamEntry> got = queue.readAnswer(ahead);
            assertThat(got).singleElement().satisfies(e -> assertThat(Task.fromFields(e.fields()).id()).isEqualTo("late"));
            assertThat(queue.inFlight(jedis)).isEqualTo(1);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> queue.sendRead(jedis, "w1", 1, Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectFlushing");
    }

    @Test
    void aBatchWritesOneReplyEntryPerStreamAndSkipsTasksItNoLongerOwns() {
        for (int i = 0; i < 6; i++) {
            String reply = keys.reply(i % 2 == 0 ? "c1" : "c2");
            queue.submit(jedis, Task.of("b" + i, "echo", new byte[0], reply));
        }
        List<StreamEntry> mine = queue.read(jedis, "w1", 5, Duration.ofMillis(100));
        StreamEntry theirs = queue.read(jedis, "w2", 5, Duration.ofMillis(100)).getFirst(); // b5, owned by w2
        List<PoolQueue.Outcome> outcomes = new java.util.ArrayList<>();
        for (StreamEntry e : mine) {
            Task t = Task.fromFields(e.fields());
            outcomes.add(new PoolQueue.Outcome(e.id(), TaskResult.ok(t.id(), ("v-" + t.id()).getBytes(StandardCharsets.UTF_8), 1, "w1", 3),
                    t.replyTo(), t.handler(), t.payload()));
        }
        outcomes.add(new PoolQueue.Outcome(theirs.id(), TaskResult.ok("b5", new byte[0], 1, "w1", 3), keys.reply("c2"), "echo", null));
        // one failure in the batch, with a message over several lines
        TaskResult failed = TaskResult.failed("b4", ErrorTypes.HANDLER_ERROR, "line one\nline two", 2, "w1", 4);
        outcomes.set(4, new PoolQueue.Outcome(mine.get(4).id(), failed, keys.reply("c1"), "echo", "p".getBytes(StandardCharsets.UTF_8)));

        boolean[] written = queue.complete(jedis, "w1", outcomes, Duration.ofMinutes(1), Duration.ofMinutes(1), 1000);

        assertThat(written).containsExactly(true, true, true, true, true, false);
        var c1 = jedis.xrange(keys.reply("c1"), (redis.clients.jedis.StreamEntryID) null, null);
        var c2 = jedis.xrange(keys.reply("c2"), (redis.clients.jedis.StreamEntryID) null, null);
        assertThat(c1).as("one entry for the batch").hasSize(1);
        assertThat(c1.getFirst().getFields()).containsOnlyKeys("b0", "b2", "b4");
        assertThat(c2).hasSize(1);
        assertThat(c2.getFirst().getFields()).as("b5 is w2's: not written").containsOnlyKeys("b1", "b3");
        assertThat(queue.result(jedis, "b2").valueAsString()).isEqualTo("v-b2");
        TaskResult back = queue.result(jedis, "b4");
        assertThat(back.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(back.errorMessage()).isEqualTo("line one\nline two");
        assertThat(back.attempts()).isEqualTo(2);
        assertThat(queue.result(jedis, "b5")).isNull();
        assertThat(jedis.xlen(keys.dead())).isEqualTo(1);
        assertThat(queue.stats(jedis)).containsEntry(StatsFields.COMPLETED, 4L).containsEntry(StatsFields.FAILED, 1L);
        assertThat(queue.inFlight(jedis)).as("only w2's task is still claimed").isEqualTo(1);
    }

    @Test
    void keysOfTheWrongTypeNeverStopABatchHalfWay() {
        // Found by an outside review: a reply key holding a string made the script fail after writing the results and
        // before acknowledging, and the worker retried the batch for ever, holding every task in it.
        jedis.set(keys.reply("evil"), "1");
        jedis.set(keys.dead(), "not a stream");
        jedis.set(keys.stats(), "not a hash");
        String[] replies = {keys.reply("evil"), keys.reply("c1")};
        for (int i = 0; i < 4; i++) {
            queue.submit(jedis, Task.of("w" + i, "echo", new byte[0], replies[i % 2]));
        }
        List<StreamEntry> mine = queue.read(jedis, "w1", 4, Duration.ofMillis(100));
        List<PoolQueue.Outcome> outcomes = new java.util.ArrayList<>();
        for (StreamEntry e : mine) {
            Task t = Task.fromFields(e.fields());
            TaskResult r = t.id().equals("w3")
                    ? TaskResult.failed("w3", ErrorTypes.NON_RETRYABLE, "bad input", 1, "w1", 2)
                    : TaskResult.ok(t.id(), t.id().getBytes(StandardCharsets.UTF_8), 1, "w1", 2);
            outcomes.add(new PoolQueue.Outcome(e.id(), r, t.replyTo(), t.handler(), t.payload()));
        }
        for (int round = 0; round < 2; round++) { // the fully owned path, then the sliced one (a task taken over)
            if (round == 1) {
                jedis.del(keys.reply("c1"));
                for (int i = 4; i < 8; i++) {
                    queue.submit(jedis, Task.of("w" + i, "echo", new byte[0], replies[i % 2]));
                }
                mine = queue.read(jedis, "w1", 4, Duration.ofMillis(100));
                outcomes.clear();
                for (StreamEntry e : mine) {
                    Task t = Task.fromFields(e.fields());
                    outcomes.add(new PoolQueue.Outcome(e.id(), TaskResult.ok(t.id(), new byte[0], 1, "w1", 2), t.replyTo(), t.handler(),
                            t.payload()));
                }
                jedis.sendCommand(Protocol.Command.XCLAIM, keys.tasks(), PoolKeys.GROUP, "w2", "0", mine.getFirst().id(), "JUSTID");
            }
            boolean[] written = queue.complete(jedis, "w1", outcomes, Duration.ofMinutes(1), Duration.ofMinutes(1), 1000);
            assertThat(written).as("round " + round).contains(true);
            assertThat(jedis.get(keys.reply("evil"))).as("the client's key is left alone").isEqualTo("1");
            assertThat(jedis.xrange(keys.reply("c1"), (redis.clients.jedis.StreamEntryID) null, null)).as("round " + round).hasSize(1);
        }
        for (int i = 0; i < 8; i++) {
            if (i != 4) {
                assertThat(queue.result(jedis, "w" + i)).as("w" + i + " is stored (found by id)").isNotNull();
            }
        }
        assertThat(queue.result(jedis, "w4")).as("taken over by w2: not w1's to write").isNull();
        assertThat(queue.inFlight(jedis)).as("only the task w2 took over is still claimed").isEqualTo(1);
        assertThat(jedis.xlen(keys.dead())).isEqualTo(1);
    }

    @Test
    void aFullyOwnedBatchWithSeveralReplyStreamsAndNoneWritesEveryOutcomeOnce() {
        String[] replies = {keys.reply("c1"), keys.reply("c2"), null};
        for (int i = 0; i < 9; i++) {
            queue.submit(jedis, Task.of("m" + i, "echo", new byte[0], replies[i % 3]));
        }
        List<StreamEntry> mine = queue.read(jedis, "w1", 9, Duration.ofMillis(100));
        List<PoolQueue.Outcome> outcomes = new java.util.ArrayList<>();
        for (StreamEntry e : mine) {
            Task t = Task.fromFields(e.fields());
            TaskResult r = t.id().equals("m7")
                    ? TaskResult.failed("m7", ErrorTypes.NON_RETRYABLE, "bad input", 1, "w1", 2)
                    : TaskResult.ok(t.id(), t.id().getBytes(StandardCharsets.UTF_8), 1, "w1", 2);
            outcomes.add(new PoolQueue.Outcome(e.id(), r, t.replyTo(), t.handler(), t.payload()));
        }
        java.util.Collections.reverse(outcomes); // callers pass outcomes in any order

        assertThat(queue.complete(jedis, "w1", outcomes, Duration.ofMinutes(1), Duration.ofMinutes(1), 1000))
                .containsOnly(true).hasSize(9);

        var c1 = jedis.xrange(keys.reply("c1"), (redis.clients.jedis.StreamEntryID) null, null);
        var c2 = jedis.xrange(keys.reply("c2"), (redis.clients.jedis.StreamEntryID) null, null);
        assertThat(c1).hasSize(1);
        assertThat(c1.getFirst().getFields()).containsOnlyKeys("m0", "m3", "m6");
        assertThat(c2).hasSize(1);
        assertThat(c2.getFirst().getFields()).containsOnlyKeys("m1", "m4", "m7");
        for (int i = 0; i < 9; i++) {
            TaskResult r = queue.result(jedis, "m" + i);
            assertThat(r).as("result of m" + i).isNotNull();
            assertThat(r.isOk()).isEqualTo(i != 7);
        }
        assertThat(queue.result(jedis, "m8").valueAsString()).isEqualTo("m8");
        assertThat(jedis.xlen(keys.dead())).isEqualTo(1);
        assertThat(queue.inFlight(jedis)).isZero();
        assertThat(queue.stats(jedis)).containsEntry(StatsFields.COMPLETED, 8L).containsEntry(StatsFields.DEAD_LETTERED, 1L);
    }

    @Test
    void getFindsResultsInOlderBucketsAndTrimDropsExpiredBuckets() {
        // a result written in an older minute (the bucket a worker wrote two minutes ago)
        long old = System.currentTimeMillis() - 2 * PoolKeys.RESULT_BUCKET_MS;
        String oldBucket = keys.resultBucket(old);
        jedis.hset(oldBucket.getBytes(StandardCharsets.UTF_8), "o1".getBytes(StandardCharsets.UTF_8),
                TaskResult.ok("o1", "old".getBytes(StandardCharsets.UTF_8), 1, "w", 1).encode());
        jedis.zadd(keys.resultIndex(), PoolKeys.resultBucketNumber(old), oldBucket);
        for (int i = 0; i < 10; i++) { // newer, empty-of-o1 buckets in front of it
            String b = keys.resultBucket(System.currentTimeMillis() + i * PoolKeys.RESULT_BUCKET_MS);
            jedis.hset(b, "x", "ok - 1 1 1 w\n");
            jedis.zadd(keys.resultIndex(), PoolKeys.resultBucketNumber(System.currentTimeMillis()) + i, b);
        }
        assertThat(queue.result(jedis, "o1").valueAsString()).isEqualTo("old");

        jedis.del(oldBucket); // expired
        queue.trim(jedis, RETENTION);
        assertThat(jedis.zrange(keys.resultIndex(), 0, -1)).doesNotContain(oldBucket).hasSize(10);
        assertThat(queue.result(jedis, "o1")).isNull();
    }

    /** Writes a bucket of {@code results} results as complete.lua would have, {@code minutesAgo} minutes ago. */
    private String bucketOf(int minutesAgo, int results) {
        long at = System.currentTimeMillis() - minutesAgo * PoolKeys.RESULT_BUCKET_MS;
        String bucket = keys.resultBucket(at);
        Map<String, String> fields = new java.util.HashMap<>();
        for (int i = 0; i < results; i++) {
            fields.put("old" + minutesAgo + "-" + i, "ok - 1 1 1 w\n");
        }
        jedis.hset(bucket, fields);
        jedis.zadd(keys.resultIndex(), PoolKeys.resultBucketNumber(at), bucket);
        jedis.hincrBy(keys.resultSizes(), bucket, results);
        return bucket;
    }

    @Test
    void trimDropsTheOldestResultsBeyondMaxResultsButNeverTheNewestBucket() {
        String oldest = bucketOf(5, 600);
        String older = bucketOf(4, 600);
        String old = bucketOf(3, 600);
        // and the current minute's results, written by complete.lua, which counts them per bucket
        completeOneByOne(3, keys.reply("c1"), Duration.ofMinutes(1));
        String current = jedis.zrevrange(keys.resultIndex(), 0, 0).getFirst();
        assertThat(jedis.hget(keys.resultSizes(), current)).isEqualTo("3");

        Retention small = new Retention(Duration.ofHours(24), 1000, Duration.ofHours(24), 100_000);
        queue.trim(jedis, small);
        // 1803 results: the two oldest buckets go (603 left); the bucket being written always stays
        assertThat(jedis.zrange(keys.resultIndex(), 0, -1)).containsExactly(old, current);
        assertThat(jedis.exists(oldest) || jedis.exists(older)).as("dropped buckets are deleted").isFalse();
        assertThat(jedis.hkeys(keys.resultSizes())).containsExactlyInAnyOrder(old, current);
        assertThat(queue.result(jedis, "old5-0")).isNull();
        assertThat(queue.result(jedis, "old3-0")).isNotNull();
        assertThat(queue.result(jedis, "r2")).isNotNull();

        // a bound below one minute of results keeps just that minute
        queue.trim(jedis, new Retention(Duration.ofHours(24), 1, Duration.ofHours(24), 100_000));
        assertThat(jedis.zrange(keys.resultIndex(), 0, -1)).containsExactly(current);
        assertThat(queue.result(jedis, "r0")).isNotNull();
    }

    @Test
    void trimDropsDeadLettersOlderThanTheirTtl() {
        long now = System.currentTimeMillis();
        // 300 dead letters two hours old, then one from now: MINID ~ drops whole stream nodes (100 entries)
        for (int i = 0; i < 300; i++) {
            jedis.sendCommand(Protocol.Command.XADD, keys.dead(), (now - 7_200_000) + "-" + i, "id", "old" + i);
        }
        jedis.sendCommand(Protocol.Command.XADD, keys.dead(), "*", "id", "new");
        queue.trim(jedis, new Retention(Duration.ofHours(24), 1_000_000, Duration.ofHours(3), 100_000));
        assertThat(jedis.xlen(keys.dead())).as("within its TTL: kept").isEqualTo(301);
        queue.trim(jedis, new Retention(Duration.ofHours(24), 1_000_000, Duration.ofHours(1), 100_000));
        assertThat(jedis.xlen(keys.dead())).as("at most one node of expired ones left").isBetween(1L, 101L);
        var last = jedis.xrevrange(keys.dead(), (redis.clients.jedis.StreamEntryID) null, null, 1);
        assertThat(last.getFirst().getFields()).containsEntry("id", "new");
    }

    @Test
    void aDeadLetterKeepsABoundedPrefixOfItsPayload() {
        queue.submit(jedis, task("big"));
        StreamEntry entry = queue.read(jedis, "w1", 10, Duration.ofMillis(100)).getFirst();
        byte[] payload = new byte[10 * 1024];
        java.util.Arrays.fill(payload, (byte) 'p');
        TaskResult failed = TaskResult.failed("big", ErrorTypes.HANDLER_ERROR, "boom", 3, "w1", 1);
        queue.complete(jedis, "w1", List.of(new PoolQueue.Outcome(entry.id(), failed, keys.reply("c1"), "fail", payload)),
                Duration.ofMinutes(1), Duration.ofMinutes(1), 1000);
        Map<String, String> fields = jedis.xrange(keys.dead(), (redis.clients.jedis.StreamEntryID) null, null).getFirst().getFields();
        assertThat(fields.get("payload")).hasSize(Results.DEAD_LETTER_PAYLOAD_PREFIX).isEqualTo("p".repeat(1024));
        assertThat(fields).containsEntry("payload_bytes", "10240").containsEntry("error_message", "boom");
        assertThat(queue.stats(jedis)).containsEntry(StatsFields.DEAD_LETTERED, 1L);
    }

    @Test
    void failedOutcomeGoesToDeadLetterWithPayload() {
        queue.submit(jedis, task("f"));
        StreamEntry entry = queue.read(jedis, "w1", 10, Duration.ofMillis(100)).getFirst();
        TaskResult failed = TaskResult.failed("f", ErrorTypes.HANDLER_ERROR, "boom", 3, "w1", 1);
        queue.complete(jedis, "w1", List.of(new PoolQueue.Outcome(entry.id(), failed, keys.reply("c1"), "fail", "f".getBytes())),
                Duration.ofMinutes(1), Duration.ofMinutes(1), 1000);
        var dead = jedis.xrange(keys.dead(), (redis.clients.jedis.StreamEntryID) null, null);
        assertThat(dead).hasSize(1);
        Map<String, String> fields = dead.getFirst().getFields();
        assertThat(fields).containsEntry("handler", "fail").containsEntry("payload", "f").containsEntry("payload_bytes", "1")
                .containsEntry("error_type", "HandlerError")
                .containsEntry("error_message", "boom").containsEntry("attempts", "3");
        assertThat(queue.stats(jedis).get(StatsFields.DEAD_LETTERED)).isEqualTo(1);
    }

    @Test
    void requeueIncrementsAttemptAndKeepsLastError() {
        queue.submit(jedis, task("r"));
        StreamEntry first = queue.read(jedis, "w1", 10, Duration.ofMillis(100)).getFirst();
        assertThat(queue.requeue(jedis, "w1", 1, "HandlerError: boom", StatsFields.RETRIED, List.of(first.id()))).isEqualTo(1);
        assertThat(queue.requeue(jedis, "w1", 1, "again", StatsFields.RETRIED, List.of(first.id()))).as("already moved").isZero();
        StreamEntry second = queue.read(jedis, "w2", 10, Duration.ofMillis(100)).getFirst();
        Task retried = Task.fromFields(second.fields());
        assertThat(retried.attempt()).isEqualTo(2);
        assertThat(retried.lastError()).isEqualTo("HandlerError: boom");
        assertThat(retried.payload()).isEqualTo("r".getBytes(StandardCharsets.UTF_8));
        // hand back unstarted: attempt unchanged
        queue.requeue(jedis, "w2", 0, null, StatsFields.HANDED_BACK, List.of(second.id()));
        Task handedBack = Task.fromFields(queue.read(jedis, "w3", 10, Duration.ofMillis(100)).getFirst().fields());
        assertThat(handedBack.attempt()).isEqualTo(2);
        assertThat(handedBack.lastError()).isEqualTo("HandlerError: boom");
        assertThat(queue.stats(jedis)).containsEntry(StatsFields.RETRIED, 1L).containsEntry(StatsFields.HANDED_BACK, 1L);
    }

    @Test
    void reclaimReturnsDeliveryCountAndRenewProtectsRunningTasks() {
        queue.submit(jedis, task("x"));
        queue.submit(jedis, task("y"));
        List<StreamEntry> claimed = queue.read(jedis, "dead-worker", 10, Duration.ofMillis(100));
        assertThat(claimed).hasSize(2);
        // Both claims left unrenewed for a minute, without waiting one: XCLAIM to the same owner with IDLE sets
        // their idle time, and JUSTID leaves their delivery count alone. A visibility timeout of 30 s then leaves
        // far more room than any scheduling delay between the renew and the reclaim below.
        for (StreamEntry e : claimed) {
            jedis.sendCommand(Protocol.Command.XCLAIM, keys.tasks(), PoolKeys.GROUP, "dead-worker", "0", e.id(), "IDLE", "60000", "JUSTID");
        }
        // the owner renews y only: x can be reclaimed, y cannot
        assertThat(queue.renew(jedis, "dead-worker", List.of(claimed.get(1).id()))).isEmpty();
        List<StreamEntry> reclaimed = queue.reclaim(jedis, "w2", Duration.ofSeconds(30), 10, PoolQueue.Reclaimed.START).entries();
        assertThat(reclaimed).extracting(StreamEntry::id).containsExactly(claimed.get(0).id());
        assertThat(reclaimed.getFirst().deliveries()).isEqualTo(2);
        // the old owner learns it lost x
        assertThat(queue.renew(jedis, "dead-worker", List.of(claimed.get(0).id(), claimed.get(1).id())))
                .containsExactly(claimed.get(0).id());
    }

    /** Sets a claim's idle time to a minute, as if its owner had stopped renewing it (no waiting, no delivery counted). */
    private void leaveUnrenewed(String owner, String streamId) {
        jedis.sendCommand(Protocol.Command.XCLAIM, keys.tasks(), PoolKeys.GROUP, owner, "0", streamId, "IDLE", "60000", "JUSTID");
    }

    /**
     * Reclaims with {@code count} free slots, passing the cursor on, at most {@code calls} times; stops once
     * {@code wanted} tasks came back.
     */
    private List<StreamEntry> reclaimWalking(String consumer, int count, int calls, int wanted) {
        List<StreamEntry> all = new java.util.ArrayList<>();
        String cursor = PoolQueue.Reclaimed.START;
        for (int i = 0; i < calls && all.size() < wanted; i++) {
            PoolQueue.Reclaimed r = queue.reclaim(jedis, consumer, Duration.ofSeconds(30), count, cursor);
            all.addAll(r.entries());
            cursor = r.cursor();
        }
        return all;
    }

    @Test
    void reclaimReachesADeadClaimBehindRenewedOnesWithOneFreeSlot() {
        // 20 claims of a live worker, renewed all along, ahead of one claim of a dead worker.
        for (int i = 0; i < 21; i++) {
            queue.submit(jedis, task("t" + i));
        }
        assertThat(queue.read(jedis, "live", 20, Duration.ofMillis(100))).hasSize(20);
        StreamEntry dead = queue.read(jedis, "dead", 1, Duration.ofMillis(100)).getFirst();
        leaveUnrenewed("dead", dead.id());
        for (int count : new int[] {1, 2}) {
            List<StreamEntry> reclaimed = reclaimWalking("w" + count, count, 3, 1);
            assertThat(reclaimed).as("reclaimed with %d free slot(s) within 3 calls", count).extracting(StreamEntry::id)
                    .containsExactly(dead.id());
            leaveUnrenewed("w" + count, dead.id()); // abandoned again, for the next round
        }
        // exactly one outcome per task: the live worker's claims were left alone
        assertThat(queue.inFlightByConsumer(jedis)).containsEntry("live", 20L);
        assertThat(queue.stats(jedis)).containsEntry(StatsFields.RECLAIMED, 2L);
    }

    @Test
    void reclaimWalksAPendingListLongerThanAPageAndStartsOverAtItsEnd() {
        int renewed = 2 * TaskClaims.RECLAIM_PAGE + 100;
        for (int i = 0; i < renewed + 2; i++) {
            queue.submit(jedis, task("t" + i));
        }
        assertThat(queue.read(jedis, "live", renewed, Duration.ofMillis(100))).hasSize(renewed);
        List<StreamEntry> abandoned = queue.read(jedis, "dead", 2, Duration.ofMillis(100));
        abandoned.forEach(e -> leaveUnrenewed("dead", e.id()));

        // one slot free: the two abandoned claims, at the end of the list, come back one per call, none skipped
        String cursor = PoolQueue.Reclaimed.START;
        List<String> reclaimed = new java.util.ArrayList<>();
        int calls = 0;
        while (reclaimed.size() < 2 && calls < 10) {
            PoolQueue.Reclaimed r = queue.reclaim(jedis, "w2", Duration.ofSeconds(30), 1, cursor);
            assertThat(r.entries()).as("at most the free slots").hasSizeLessThanOrEqualTo(1);
            r.entries().forEach(e -> reclaimed.add(e.id()));
            cursor = r.cursor();
            calls++;
        }
        assertThat(reclaimed).containsExactly(abandoned.get(0).id(), abandoned.get(1).id());
        assertThat(calls).as("pages to walk + one call per claim").isLessThanOrEqualTo(4);
        assertThat(cursor).as("the walk reached the end of the list: the next one starts over").isEqualTo(PoolQueue.Reclaimed.START);
        // a second walk finds nothing left idle
        assertThat(reclaimWalking("w2", 1, 3, 1)).isEmpty();
        assertThat(queue.inFlightByConsumer(jedis)).containsEntry("live", (long) renewed).containsEntry("w2", 2L);
    }

    @Test
    void aTaskWhoseWorkersAllDiedIsDeadLetteredByTheHandBackWithoutAnyWorkerReadingIt() {
        // Found in review: a payload too big for the heap killed every worker that read it; only a worker checked
        // attempts, so it went round for ever. The hand-back now ends it inside Redis.
        byte[] payload = new byte[5000];
        java.util.Arrays.fill(payload, (byte) 'x');
        queue.submit(jedis, Task.of("poison", "echo", payload, keys.reply("c1")));
        queue.submit(jedis, task("fine"));
        int maxAttempts = 2;
        for (int death = 1; death <= 2; death++) {
            assertThat(queue.read(jedis, "dead-" + death, 10, Duration.ofMillis(100))).isNotEmpty();
            assertThat(queue.handBackAll(jedis, "dead-" + death, "WorkerLost: worker exited with code 70", maxAttempts)).isEqualTo(2);
        }
        assertThat(queue.inFlight(jedis)).isZero();
        assertThat(queue.backlog(jedis)).as("both were handed back once; now both are at attempt 3 > maxAttempts").isZero();
        var dead = jedis.xrange(keys.dead(), (redis.clients.jedis.StreamEntryID) null, null);
        assertThat(dead).hasSize(2);
        var poison = dead.stream().filter(e -> "poison".equals(e.getFields().get("id"))).findFirst().orElseThrow().getFields();
        assertThat(poison).containsEntry("error_type", "WorkerLost").containsEntry("status", "failed").containsEntry("attempts", "2")
                .containsEntry("payload_bytes", "5000").containsEntry("handler", "echo");
        assertThat(poison.get("payload")).hasSize(1024);
        assertThat(poison.get("error_message")).contains("maxAttempts=2", "code 70");
        assertThat(queue.stats(jedis)).containsEntry(StatsFields.DEAD_LETTERED, 2L);
        // Without a limit (the worker's own hand-backs) a task is always put back.
        queue.submit(jedis, task("again"));
        queue.read(jedis, "dead-3", 10, Duration.ofMillis(100));
        assertThat(queue.handBackAll(jedis, "dead-3", "WorkerLost")).isEqualTo(1);
        assertThat(queue.backlog(jedis)).isEqualTo(1);
    }

    @Test
    void handBackAllMovesADeadConsumersTasksAndDeletesIt() {
        for (int i = 0; i < 5; i++) {
            queue.submit(jedis, task("t" + i));
        }
        assertThat(queue.read(jedis, "gone", 3, Duration.ofMillis(100))).hasSize(3);
        assertThat(queue.deleteConsumerIfIdle(jedis, "gone")).as("owns tasks").isFalse();
        assertThat(queue.backlog(jedis)).isEqualTo(2);
        assertThat(queue.inFlightByConsumer(jedis)).containsEntry("gone", 3L);

        assertThat(queue.handBackAll(jedis, "gone", "WorkerLost: pod deleted")).isEqualTo(3);
        assertThat(queue.inFlight(jedis)).isZero();
        assertThat(queue.backlog(jedis)).isEqualTo(5);
        List<Task> all = queue.read(jedis, "w", 10, Duration.ofMillis(100)).stream().map(e -> Task.fromFields(e.fields())).toList();
        assertThat(all).extracting(Task::id).containsExactlyInAnyOrder("t0", "t1", "t2", "t3", "t4");
        assertThat(all.stream().filter(t -> t.attempt() == 2)).hasSize(3);
        @SuppressWarnings("unchecked")
        List<Object> consumers = (List<Object>) jedis.sendCommand(Protocol.Command.XINFO, "CONSUMERS", keys.tasks(), PoolKeys.GROUP);
        assertThat(consumers).hasSize(1); // only "w"
    }

    @Test
    void trimNeverRemovesClaimedOrWaitingEntries() {
        for (int i = 0; i < 6; i++) {
            queue.submit(jedis, task("k" + i));
        }
        List<StreamEntry> claimed = queue.read(jedis, "w1", 3, Duration.ofMillis(100));
        TaskResult ok = TaskResult.ok("k1", new byte[0], 1, "w1", 1);
        // complete the second claimed entry only: the first is still claimed, three are waiting
        queue.complete(jedis, "w1", List.of(new PoolQueue.Outcome(claimed.get(1).id(), ok, null, "echo", null)),
                Duration.ofMinutes(1), Duration.ofMinutes(1), 1000);
        assertThat(queue.trim(jedis, RETENTION)).isZero();
        assertThat(jedis.xlen(keys.tasks())).isEqualTo(6);
        assertThat(queue.backlog(jedis)).isEqualTo(3);
        // complete the first: the two leading acknowledged entries go, the third (claimed) stays
        queue.complete(jedis, "w1", List.of(new PoolQueue.Outcome(claimed.get(0).id(), TaskResult.ok("k0", new byte[0], 1, "w1", 1),
                null, "echo", null)), Duration.ofMinutes(1), Duration.ofMinutes(1), 1000);
        assertThat(queue.trim(jedis, RETENTION)).isEqualTo(2);
        assertThat(jedis.xlen(keys.tasks())).isEqualTo(4);
        assertThat(queue.inFlight(jedis)).isEqualTo(1);
        assertThat(queue.backlog(jedis)).isEqualTo(3);
        // the waiting ones are still delivered
        assertThat(queue.read(jedis, "w2", 10, Duration.ofMillis(100))).hasSize(3);
    }

    @Test
    void unreadableHeartbeatsAndCountersAreSkippedNotFatal() {
        queue.heartbeat(jedis, new dev.reservoir.protocol.Heartbeat("good", dev.reservoir.protocol.WorkerState.RUNNING, 4, 0, 0, 0, 0,
                0, 16, 64, 0, "h", 1, 1, System.currentTimeMillis(), 1234), Duration.ofSeconds(30));
        jedis.hset(keys.worker("bad"), Map.of("id", "bad", "state", "SLEEPING"));
        jedis.zadd(keys.workers(), 1, "bad");
        jedis.zadd(keys.workers(), 1, "-not-an-id");
        jedis.hset(keys.stats(), Map.of("completed", "lots", "failed", "2"));
        assertThat(queue.heartbeats(jedis)).extracting(dev.reservoir.protocol.Heartbeat::workerId).containsExactly("good");
        assertThat(queue.heartbeats(jedis).getFirst().jitMillis()).isEqualTo(1234);
        // jit_ms is optional (a worker may omit it): read as unknown, not as 0 and not skipped
        jedis.hdel(keys.worker("good"), "jit_ms");
        assertThat(queue.heartbeats(jedis)).singleElement().satisfies(h -> {
            assertThat(h.jitMillis()).isEqualTo(dev.reservoir.protocol.Heartbeat.JIT_UNKNOWN);
            assertThat(h.reportsJit()).isFalse();
        });
        assertThat(queue.stats(jedis)).containsEntry("completed", 0L).containsEntry("failed", 2L);
    }

    @Test
    void scriptsSurviveAScriptCacheFlush() {
        queue.submit(jedis, task("s"));
        StreamEntry entry = queue.read(jedis, "w1", 10, Duration.ofMillis(100)).getFirst();
        jedis.scriptFlush();
        assertThat(queue.renew(jedis, "w1", List.of(entry.id()))).isEmpty();
    }
}
