package dev.reservoir.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A pool's queue against a real Redis at a small maxmemory (docs/operations.md, "Full Redis"), every
 * submitted task counted: under noeviction a full Redis refuses submissions and outcomes with a clear
 * error and loses nothing; under allkeys-lru it drops tasks without an error, and {@link RedisMemory}
 * is what says so.
 */
class FullRedisTest {
    static RedisServerProcess redis;
    static final byte[] PAYLOAD = new byte[16 * 1024];
    Jedis jedis;
    PoolQueue queue;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.onFreePort(false).start();
        Arrays.fill(PAYLOAD, (byte) 'x');
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void connect() {
        jedis = new Jedis("127.0.0.1", redis.port());
        jedis.configSet("maxmemory", "0");
        jedis.configSet("maxmemory-policy", "noeviction");
        jedis.flushAll();
        queue = new PoolQueue(new PoolKeys("full"));
        queue.ensureGroup(jedis);
    }

    @AfterEach
    void close() {
        jedis.configSet("maxmemory", "0");
        jedis.configSet("maxmemory-policy", "noeviction");
        jedis.close();
    }

    /** Limits Redis to what it uses now plus {@code headroom} bytes. */
    private void limitTo(long headroom, String policy) {
        jedis.configSet("maxmemory-policy", policy);
        jedis.configSet("maxmemory", Long.toString(RedisMemory.read(jedis).usedMemory() + headroom));
    }

    private Task task(int i) {
        return Task.of("t" + i, "echo", PAYLOAD, queue.keys().reply("c1"));
    }

    @Test
    void underNoevictionAFullRedisRefusesWritesAndLosesNothing() {
        assertThat(queue.redisMemory(jedis).problem()).isNull();
        limitTo(2L << 20, "noeviction");
        List<String> accepted = new ArrayList<>();
        JedisDataException refused = null;
        for (int i = 0; i < 10_000 && refused == null; i++) {
            try {
                queue.submit(jedis, task(i));
                accepted.add("t" + i);
            } catch (JedisDataException e) {
                refused = e;
            }
        }
        assertThat(refused).as("a submission is refused with a clear error").isNotNull();
        assertThat(refused.getMessage()).startsWith("OOM");
        assertThat(accepted).hasSizeGreaterThan(10);
        RedisMemory memory = queue.redisMemory(jedis);
        assertThat(memory.evicts()).isFalse();
        assertThat(memory.problem()).contains("Redis is full").contains("raise maxmemory");

        // a worker still claims (claims need no new memory to speak of), but its outcomes are refused whole
        List<StreamEntry> claimed = queue.read(jedis, "w1", accepted.size(), Duration.ofMillis(100));
        assertThat(claimed).hasSize(accepted.size());
        List<PoolQueue.Outcome> outcomes = new ArrayList<>();
        for (StreamEntry e : claimed) {
            Task t = Task.fromFields(e.fields());
            outcomes.add(new PoolQueue.Outcome(e.id(), TaskResult.ok(t.id(), t.payload(), 1, "w1", 1), t.replyTo(), t.handler(), null));
        }
        assertThatThrownBy(() -> queue.complete(jedis, "w1", outcomes, Duration.ofMinutes(1), Duration.ofMinutes(1), 1000))
                .isInstanceOf(JedisDataException.class).hasMessageStartingWith("OOM");
        assertThat(queue.inFlight(jedis)).as("still claimed: nothing written, nothing acknowledged").isEqualTo(accepted.size());
        assertThat(queue.result(jedis, accepted.getFirst())).isNull();
        assertThat(queue.stats(jedis).get(StatsFields.COMPLETED)).isZero();

        // memory freed (here: maxmemory raised): the same write goes through, one outcome per accepted task
        jedis.configSet("maxmemory", "0");
        assertThat(queue.complete(jedis, "w1", outcomes, Duration.ofMinutes(1), Duration.ofMinutes(1), 1000))
                .hasSize(accepted.size()).containsOnly(true);
        for (String id : accepted) {
            assertThat(queue.result(jedis, id)).as("outcome of %s", id).isNotNull();
        }
        assertThat(queue.stats(jedis).get(StatsFields.COMPLETED)).isEqualTo(accepted.size());
        assertThat(queue.inFlight(jedis)).isZero();
    }

    @Test
    void underAllkeysLruRedisDropsTasksSilentlyAndOnlyItsEvictionCountSaysSo() {
        long evictedBefore = queue.redisMemory(jedis).evictedKeys();
        limitTo(2L << 20, "allkeys-lru");
        assertThat(queue.redisMemory(jedis).problem()).as("the policy alone is a problem").contains("allkeys-lru")
                .contains("noeviction");
        int submitted = 0;
        for (int i = 0; i < 400; i++) { // ~6 MiB of payloads into 2 MiB: every XADD "succeeds"
            queue.submit(jedis, task(i));
            submitted++;
        }
        // what a worker can still find: the stream (or its group) was evicted on the way
        long found;
        try {
            found = queue.backlog(jedis);
        } catch (JedisDataException e) {
            found = 0;
        }
        assertThat(found).as("tasks lost without any error to the submitter").isLessThan(submitted);
        RedisMemory memory = queue.redisMemory(jedis);
        assertThat(memory.evictedKeys()).isGreaterThan(evictedBefore);
        assertThat(memory.problem()).contains("evicted").contains("may have been lost").contains("noeviction");
    }
}
