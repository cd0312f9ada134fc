package dev.reservoir.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.redis.RedisEndpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Local mode whose embedded Redis dies: it stops its workers and says why, instead of retrying for ever. */
class EmbeddedRedisDeathTest {

    @Test
    void theWorkersAreStoppedAndTheFailureIsReported() throws InterruptedException {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        PoolSpec spec = PoolSpec.defaults("redis-death", 2, 1).withDrainTimeout(Duration.ofSeconds(5));
        LocalPool local = LocalPool.start(spec, LocalPool.Options.defaults().withEvents(events::add));
        Map<String, Long> pids;
        try {
            local.awaitReady(Duration.ofSeconds(120));
            pids = local.workerPids();
            assertThat(pids).hasSize(2);
            try (Jedis jedis = RedisEndpoint.parse(local.redisUrl(), null).connect("test", Duration.ofSeconds(5))) {
                jedis.shutdown(); // Redis exits at once, as after a crash: the connection just drops
            } catch (RuntimeException expected) {
                // the reply never comes: Redis is gone
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> local.failure() != null);
            LocalPoolException failure = local.awaitStopped();
            assertThat(failure).isNotNull();
            assertThat(local.state()).isEqualTo(LocalPool.State.STOPPED);
            RedisEndpoint endpoint = RedisEndpoint.parse(local.redisUrl(), null);
            assertThat(failure.getMessage()).contains("the embedded Redis at redis://127.0.0.1:" + endpoint.port() + " exited unexpectedly")
                    .contains("the workers were stopped").doesNotContain("\n").as("no password in the message")
                    .doesNotContain(endpoint.password());
        } finally {
            local.close();
        }
        assertThat(events).as("events").anyMatch(e -> e.contains("exited unexpectedly: stopping the workers"));
        assertThat(events).as("no retry loop").noneMatch(e -> e.contains("(retrying)"));
        pids.values().forEach(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("worker pid %d", pid).isFalse());
    }
}
