package dev.reservoir.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.redis.StreamEntry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Outcomes that never come back (issue 11, finding 3): a Redis restarted without persistence loses
 * the accepted tasks, an evicted or deleted reply stream loses the reply of a task whose result is
 * stored. Every wait ends at its deadline, with the stored outcome when there is one and with
 * {@link TaskOutcomeUnknownException} otherwise, and every permit comes back. Each future's
 * completions are counted: exactly one per task.
 */
class LostOutcomeTest {
    static final Duration DEADLINE = Duration.ofSeconds(3);

    @Test
    void tasksLostWithARedisRestartedWithoutPersistenceFailAtTheirDeadline() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start();
             Reservoir reservoir = Reservoir.connect(redis.url())) {
            Pool pool = reservoir.pool("restart", PoolOptions.defaults().withOutcomeDeadline(DEADLINE).withMaxPending(3));
            Map<String, AtomicInteger> completions = new ConcurrentHashMap<>();
            List<TaskFuture> futures = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                TaskFuture f = pool.submit("echo", "lost-" + i);
                completions.put(f.taskId(), new AtomicInteger());
                f.whenComplete((r, e) -> completions.get(f.taskId()).incrementAndGet());
                futures.add(f);
            }
            for (TaskFuture f : futures) {
                f.accepted().get(10, TimeUnit.SECONDS); // Redis has all three: no worker ever takes them
            }
            long restartedAt = System.nanoTime();
            redis.kill();
            redis.start(); // empty: no append-only file, no snapshot
            await().atMost(DEADLINE.multipliedBy(4)).until(() -> futures.stream().allMatch(TaskFuture::isDone));
            assertThat(Duration.ofNanos(System.nanoTime() - restartedAt)).isLessThan(DEADLINE.plusSeconds(5));
            for (TaskFuture f : futures) {
                assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(TaskOutcomeUnknownException.class, e -> {
                    assertThat(e.mayHaveRun()).isTrue();
                    assertThat(e.taskId()).isEqualTo(f.taskId());
                    assertThat(e.getMessage()).contains("it may have run").contains("get(\"" + f.taskId() + "\")");
                });
                assertThat(pool.get(f.taskId())).isEmpty();
            }
            assertThat(pool.outstanding()).isZero();
            assertThat(reservoir.pendingCount()).isZero();
            assertThat(completions.values()).allMatch(c -> c.get() == 1);
            // The permits came back: maxPending 3 lets three more through at once, and the client still works.
            try (QueueConsumer consumer = new QueueConsumer(redis.url(), "restart")) {
                // The submitter's connection died with Redis: its first send only finds that out (and reconnects).
                pool.submit("echo", "probe").handle((r, e) -> null).get(20, TimeUnit.SECONDS);
                List<TaskFuture> after = CompletableFuture.supplyAsync(() -> List.of(pool.submit("echo", "after-0"),
                        pool.submit("echo", "after-1"), pool.submit("echo", "after-2"))).get(10, TimeUnit.SECONDS);
                for (int i = 0; i < 3; i++) {
                    assertThat(after.get(i).get(20, TimeUnit.SECONDS).valueAsString()).isEqualTo("after-" + i);
                }
            }
        }
    }

    @Test
    void imapEndsEachLostItemAtItsDeadline() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start();
             Reservoir reservoir = Reservoir.connect(redis.url())) {
            Pool pool = reservoir.pool("imap-restart", PoolOptions.defaults().withOutcomeDeadline(DEADLINE));
            List<byte[]> input = List.of(b("a"), b("b"), b("c"));
            try (ResultIterator it = pool.imap("echo", input, new MapOptions(3, 3))) {
                assertThat(it.hasNext()).isTrue(); // submits the whole window
                try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
                    await().atMost(Duration.ofSeconds(10)).until(() -> new PoolQueue("imap-restart").backlog(jedis) == 3);
                }
                redis.kill();
                redis.start();
                int unknown = 0;
                while (it.hasNext()) {
                    assertThatThrownBy(it::next).isInstanceOf(TaskOutcomeUnknownException.class);
                    unknown++;
                }
                assertThat(unknown).isEqualTo(3);
            }
            assertThat(pool.outstanding()).isZero();
        }
    }

    @Test
    void aLostReplyIsFoundByTaskIdAtTheDeadline() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start();
             Reservoir reservoir = Reservoir.connect(redis.url())) {
            Pool pool = reservoir.pool("lost-reply", PoolOptions.defaults().withOutcomeDeadline(DEADLINE));
            AtomicInteger completions = new AtomicInteger();
            TaskFuture f = pool.submit("echo", "stored");
            f.whenComplete((r, e) -> completions.incrementAndGet());
            f.accepted().get(10, TimeUnit.SECONDS);
            completeWithTheReplyLost(redis, "lost-reply", 1);
            assertThat(f).as("no reply came back").isNotDone();
            Result r = f.get(DEADLINE.plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            assertThat(r.valueAsString()).isEqualTo("stored");
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.outstanding() == 0); // released just after the waiters woke
            assertThat(completions.get()).isEqualTo(1);
            assertThat(reservoir.pendingCount()).isZero();
        }
    }

    @Test
    void applyLooksForTheStoredOutcomeBeforeTimingOut() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start();
             Reservoir reservoir = Reservoir.connect(redis.url())) {
            Pool pool = reservoir.pool("lost-apply");
            Thread worker = Thread.ofPlatform().start(() -> completeWithTheReplyLost(redis, "lost-apply", 1));
            Result r = pool.apply("echo", b("applied"), Duration.ofSeconds(3));
            worker.join();
            assertThat(r.valueAsString()).isEqualTo("applied");
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.outstanding() == 0);
        }
    }

    /**
     * Stands in for a worker whose reply is lost: it takes {@code count} tasks and writes their outcomes
     * (result stored by task id, task acknowledged) with the reply pushed to a stream the client does not
     * read, then deletes that stream, as an eviction or a failover would.
     */
    private static void completeWithTheReplyLost(RedisServerProcess redis, String poolName, int count) {
        PoolQueue queue = new PoolQueue(poolName);
        String lostReplies = poolName + ":lost-replies";
        try (Jedis jedis = RedisEndpoint.parse(redis.url(), null).connect("lost-reply-worker", Duration.ofSeconds(5))) {
            queue.ensureGroup(jedis);
            int done = 0;
            while (done < count) {
                List<PoolQueue.Outcome> outcomes = new ArrayList<>();
                for (StreamEntry e : queue.read(jedis, "lost-reply-worker", count - done, Duration.ofMillis(100))) {
                    Task t = Task.fromFields(e.fields());
                    outcomes.add(new PoolQueue.Outcome(e.id(), TaskResult.ok(t.id(), t.payload(), 1, "lost-reply-worker", 1), lostReplies,
                            t.handler(), t.payload()));
                }
                if (!outcomes.isEmpty()) {
                    queue.complete(jedis, "lost-reply-worker", outcomes, Duration.ofMinutes(5), Duration.ofMinutes(5), 10_000);
                    done += outcomes.size();
                }
            }
            jedis.del(lostReplies);
        }
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
