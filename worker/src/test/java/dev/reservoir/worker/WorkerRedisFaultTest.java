package dev.reservoir.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.worker.handler.HandlerRegistry;
import dev.reservoir.worker.handler.TaskContext;
import dev.reservoir.worker.handler.TaskHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/**
 * A worker in this JVM against a real Redis that goes away, is demoted to a replica, or fills up: the
 * worker is unready for as long as it cannot claim and write, says why once (no log floods), and
 * recovers by itself, with exactly one outcome per task.
 */
class WorkerRedisFaultTest {
    static final AtomicInteger POOLS = new AtomicInteger();
    /** JUL holds loggers weakly: this keeps the one the recording handler is added to. */
    static final Logger WORKER_LOGGERS = Logger.getLogger("dev.reservoir.worker");
    final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
    final Handler recorder = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                warnings.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    RedisServerProcess redis;
    Worker worker;

    @BeforeEach
    void start() {
        redis = RedisServerProcess.onFreePort(false).start();
        WORKER_LOGGERS.addHandler(recorder);
    }

    @AfterEach
    void stop() {
        WORKER_LOGGERS.removeHandler(recorder);
        if (worker != null) {
            worker.drainAndStop();
        }
        redis.close();
    }

    private Worker startWorker(TestPool pool, HandlerRegistry handlers, String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("RESERVOIR_POOL", pool.keys.pool(), "RESERVOIR_REDIS_URL", redis.url(),
                "RESERVOIR_WORKER_ID", "w-" + pool.keys.pool(), "RESERVOIR_THREADS", "2", "RESERVOIR_HTTP_PORT", "-1",
                "RESERVOIR_VISIBILITY_TIMEOUT", "3s", "RESERVOIR_MEMORY_BLOCK_SIZE", "4Ki"));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        worker = new Worker(WorkerConfig.fromEnvironment(env, new String[0]), handlers).start();
        await().atMost(Duration.ofSeconds(20)).until(worker::isReady);
        return worker;
    }

    private static void assertOneOkEach(Map<String, List<TaskResult>> results, int n) {
        assertThat(results).hasSize(n);
        results.forEach((id, list) -> assertThat(list).as("outcomes of %s", id).singleElement()
                .satisfies(r -> assertThat(r.status()).as("status of %s: %s", id, r.errorMessage()).isEqualTo(TaskStatus.OK)));
    }

    private List<String> warningTexts() {
        List<String> out = new ArrayList<>();
        warnings.forEach(r -> out.add(r.getLoggerName() + ": " + r.getMessage()));
        return out;
    }

    @Test
    void duringARedisOutageAWorkerWhoseSlotsAreAllTakenIsUnreadyAndIsReadyAgainAfter() throws Exception {
        TestPool pool = new TestPool("outage" + POOLS.incrementAndGet(), redis.port());
        CountDownLatch gate = new CountDownLatch(1);
        HandlerRegistry handlers = HandlerRegistry.of(List.of(new dev.reservoir.worker.builtin.EchoHandler(), new TaskHandler() {
            @Override
            public String name() {
                return "gated";
            }

            @Override
            public byte[] handle(TaskContext context) throws Exception {
                gate.await();
                return context.payloadBytes();
            }
        }));
        // one thread, no prefetch, one gated task: the fetcher has no slot and calls Redis no more
        startWorker(pool, handlers, "RESERVOIR_THREADS", "1", "RESERVOIR_PREFETCH", "0");
        pool.submit("held", "gated", "x");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Jedis jedis = pool.jedis()) {
                return pool.queue.inFlight(jedis) == 1;
            }
        });
        redis.kill();
        await().atMost(Duration.ofSeconds(10)).until(() -> !worker.isReady());
        assertThat(worker.notReadyReason()).contains("unreachable");
        Thread.sleep(3000); // an outage long enough for many retries
        redis.start(); // same port, no persistence: the pool's data is gone, as after a restart of a try-out Redis
        await().atMost(Duration.ofSeconds(20)).until(worker::isReady);
        gate.countDown();
        pool.submit("after", "echo", "ok");
        Map<String, List<TaskResult>> results = pool.awaitReplies(1, Duration.ofSeconds(20));
        assertThat(results.get("after")).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(TaskStatus.OK));
        assertThat(warnings.size()).as("warnings during the outage: %s", warningTexts()).isLessThanOrEqualTo(8);
    }

    @Test
    void aWorkerWhoseRedisIsDemotedToReplicaIsUnreadyLogsItOnceAndResumesWhenItIsPrimaryAgain() throws Exception {
        TestPool pool = new TestPool("replica" + POOLS.incrementAndGet(), redis.port());
        startWorker(pool, HandlerRegistry.load(null), "RESERVOIR_THREADS", "4");
        pool.submitMany(100, "a", "sleep", () -> "20");
        await().atMost(Duration.ofSeconds(20)).until(() -> pool.replies().size() >= 10);
        int unusedPort = RedisServerProcess.freePort();
        try (Jedis jedis = pool.jedis()) {
            // a replica of a primary that does not answer: read-only, and it keeps its data set
            jedis.sendCommand(Protocol.Command.REPLICAOF, "127.0.0.1", Integer.toString(unusedPort));
        }
        int before = warnings.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> !worker.isReady());
        Thread.sleep(4000); // some 40 claims' worth of the old retry rate
        assertThat(worker.isReady()).isFalse();
        assertThat(worker.notReadyReason()).contains("READONLY");
        List<String> during = warningTexts().subList(before, warnings.size());
        assertThat(during).as("warnings while Redis is a replica").anySatisfy(w -> assertThat(w).contains("READONLY"));
        assertThat(during.size()).as("warnings while Redis is a replica: %s", during).isLessThanOrEqualTo(6);
        assertThat(warnings.subList(before, warnings.size())).as("no stack traces while Redis is a replica")
                .allSatisfy(r -> assertThat(r.getThrown()).isNull());
        try (Jedis jedis = pool.jedis()) {
            jedis.sendCommand(Protocol.Command.REPLICAOF, "NO", "ONE");
        }
        await().atMost(Duration.ofSeconds(20)).until(worker::isReady);
        assertOneOkEach(pool.awaitReplies(100, Duration.ofSeconds(60)), 100);
    }

    @Test
    void aFullRedisMakesTheWorkerUnreadyWithTheReasonAndItRecoversWhenMemoryFrees() throws Exception {
        TestPool pool = new TestPool("full" + POOLS.incrementAndGet(), redis.port());
        startWorker(pool, HandlerRegistry.load(null), "RESERVOIR_THREADS", "4");
        pool.submitMany(4, "slow", "sleep", () -> "1500");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Jedis jedis = pool.jedis()) {
                return pool.queue.inFlight(jedis) == 4;
            }
        });
        try (Jedis jedis = pool.jedis()) {
            // at maxmemory under noeviction: Redis refuses every write that could add data (complete.lua, the heartbeat)
            jedis.configSet("maxmemory-policy", "noeviction");
            jedis.configSet("maxmemory", "1");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !worker.isReady());
        assertThat(worker.notReadyReason()).contains("full");
        Thread.sleep(3000); // the slow tasks finish meanwhile; their outcomes cannot be written yet
        try (Jedis jedis = pool.jedis()) {
            assertThat(pool.queue.inFlight(jedis)).as("the tasks stay claimed while their outcomes wait").isEqualTo(4);
            jedis.configSet("maxmemory", "0");
        }
        await().atMost(Duration.ofSeconds(20)).until(worker::isReady);
        pool.submitMany(10, "after", "echo", () -> "ok");
        assertOneOkEach(pool.awaitReplies(14, Duration.ofSeconds(30)), 14);
        assertThat(warningTexts()).as("the reason is logged").anySatisfy(w -> assertThat(w).contains("OOM"));
        assertThat(warnings.size()).as("warnings: %s", warningTexts()).isLessThanOrEqualTo(6);
    }
}
