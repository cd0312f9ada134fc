package dev.reservoir.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.redis.StreamEntry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A write whose answer was lost (connection broke after Redis ran the script) is retried; the retry finds the
 * task acknowledged. The worker must tell that apart from a task reclaimed by another worker: only the
 * latter drops an outcome.
 */
class RetriedWriteTest {
    static RedisServerProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.onFreePort(false).start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Test
    void aRetryOfAWriteThatLandedIsRecognisedAndAReclaimedTaskIsNot() {
        TestPool pool = new TestPool("retried", redis.port());
        try (Jedis jedis = pool.jedis()) {
            pool.queue.ensureGroup(jedis);
            pool.submit(Task.of("t1", "echo", "x".getBytes(StandardCharsets.UTF_8), pool.replyKey));
            StreamEntry entry = pool.queue.read(jedis, "w-a", 1, Duration.ofMillis(100)).getFirst();
            TaskResult mine = TaskResult.ok("t1", "x".getBytes(StandardCharsets.UTF_8), 1, "w-a", 7);
            List<PoolQueue.Outcome> outcome = List.of(new PoolQueue.Outcome(entry.id(), mine, pool.replyKey, "echo", null));

            assertThat(Worker.alreadyWritten(pool.queue.result(jedis, "t1"), mine)).as("nothing stored yet").isFalse();
            assertThat(pool.queue.complete(jedis, "w-a", outcome, Duration.ofMinutes(1), Duration.ofMinutes(1), 100)).containsExactly(true);
            // the retry: skipped by the script, and recognised as this very outcome
            assertThat(pool.queue.complete(jedis, "w-a", outcome, Duration.ofMinutes(1), Duration.ofMinutes(1), 100)).containsExactly(false);
            assertThat(Worker.alreadyWritten(pool.queue.result(jedis, "t1"), mine)).isTrue();

            // another worker's outcome for the task (it reclaimed and ran it): ours is dropped
            TaskResult theirs = TaskResult.ok("t1", "x".getBytes(StandardCharsets.UTF_8), 2, "w-b", 7);
            assertThat(Worker.alreadyWritten(theirs, mine)).isFalse();
            // the same worker's earlier, failed attempt is not this outcome either
            TaskResult earlier = TaskResult.failed("t1", "handler_error", "boom", 1, "w-a", 7);
            assertThat(Worker.alreadyWritten(earlier, mine)).isFalse();
        }
    }
}
