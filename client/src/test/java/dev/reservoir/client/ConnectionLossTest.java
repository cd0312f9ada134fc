package dev.reservoir.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.redis.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Redis going away under a client: accepted tasks are not lost, and errors say what happened. */
class ConnectionLossTest {

    @Test
    void acceptedTasksCompleteAfterRedisComesBack() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(true).start();
             Reservoir reservoir = Reservoir.connect(redis.url())) {
            Pool pool = reservoir.pool("loss");
            List<CompletableFuture<Result>> futures = new ArrayList<>();
            try (QueueConsumer held = new QueueConsumer(redis.url(), "loss")) {
                held.hold = true;
                for (int i = 0; i < 50; i++) {
                    futures.add(pool.submit("echo", "v" + i));
                }
                try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
                    await().atMost(Duration.ofSeconds(10)).until(() -> new dev.reservoir.redis.PoolQueue("loss").backlog(jedis) == 50);
                }
            }
            redis.kill();
            // while Redis is down a new task fails with a clear error (it was never accepted)
            CompletableFuture<Result> during = pool.submit("echo", "during");
            assertThatThrownBy(during::get).isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(ReservoirConnectionException.class).hasMessageContaining("Redis at");
            redis.start();
            try (QueueConsumer consumer = new QueueConsumer(redis.url(), "loss")) {
                for (int i = 0; i < 50; i++) {
                    assertThat(futures.get(i).get().valueAsString()).isEqualTo("v" + i);
                }
            }
        }
    }

    @Test
    void waitingFuturesFailClearlyWhenRedisStaysDown() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start();
             Reservoir reservoir = Reservoir.connect(redis.url(), ClientOptions.defaults().withReconnectGrace(Duration.ofMillis(500)))) {
            Pool pool = reservoir.pool("down");
            CompletableFuture<Result> waiting = pool.submit("echo", "x");
            try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
                await().atMost(Duration.ofSeconds(10)).until(() -> new dev.reservoir.redis.PoolQueue("down").backlog(jedis) == 1);
            }
            redis.kill();
            assertThatThrownBy(waiting::get).isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(ReservoirConnectionException.class).hasMessageContaining("unreachable")
                    .hasMessageContaining("get(taskId)");
            assertThatThrownBy(() -> pool.get("any")).isInstanceOf(ReservoirConnectionException.class);
        }
    }
}
