package dev.reservoir.worker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.worker.TestPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/**
 * Fault tests with real worker processes and a real Redis: kill -9 of a worker mid-batch, a poison
 * task that kills every worker that runs it, Redis killed and restarted mid-run, SIGTERM mid-batch.
 * On failure each test prints the worker logs.
 */
class WorkerFaultTest {
    private static final AtomicInteger POOLS = new AtomicInteger();
    private final List<WorkerProcess> workers = new ArrayList<>();
    private RedisServerProcess redis;
    private boolean passed;

    @AfterEach
    void cleanUp(TestInfo info) throws InterruptedException {
        for (WorkerProcess w : workers) {
            w.close();
            if (!passed) {
                System.err.println("==== log of worker " + w.id + " (" + info.getDisplayName() + ") ====\n" + w.log());
            }
        }
        if (redis != null) {
            redis.kill();
        }
    }

    private Map<String, String> env(TestPool pool, String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("RESERVOIR_POOL", pool.keys.pool(), "RESERVOIR_REDIS_URL", redis.url(),
                "RESERVOIR_THREADS", "4", "RESERVOIR_VISIBILITY_TIMEOUT", "1s", "RESERVOIR_DRAIN_TIMEOUT", "20s",
                "RESERVOIR_MEMORY_BLOCK_SIZE", "4Ki"));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    private WorkerProcess startWorker(String id, Map<String, String> env) {
        WorkerProcess w = WorkerProcess.start(id, env);
        workers.add(w);
        return w;
    }

    private static void assertExactlyOnceOk(Map<String, List<TaskResult>> results, int n) {
        assertThat(results).hasSize(n);
        results.forEach((id, list) -> {
            assertThat(list).as("results for task %s", id).hasSize(1);
            assertThat(list.getFirst().status()).as("status of %s", id).isEqualTo(TaskStatus.OK);
        });
    }

    @Test
    void killNineOfAWorkerMidBatchLosesNoTaskAndDuplicatesNoResult() throws Exception {
        redis = RedisServerProcess.onFreePort(false).start();
        TestPool pool = new TestPool("kill" + POOLS.incrementAndGet(), redis.port());
        pool.submitMany(300, "t", "sleep", () -> "20");
        WorkerProcess victim = startWorker("victim", env(pool));
        startWorker("survivor-1", env(pool));
        startWorker("survivor-2", env(pool));
        try (Jedis jedis = pool.jedis()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> pool.replies().size() >= 60
                    && pool.queue.inFlightByConsumer(jedis).getOrDefault("victim", 0L) > 0);
            victim.kill9();
            Map<String, List<TaskResult>> results = pool.awaitReplies(300, Duration.ofSeconds(90));
            assertExactlyOnceOk(results, 300);
            assertThat(pool.queue.stats(jedis).get("reclaimed")).as("the victim's claimed tasks were reclaimed").isPositive();
            assertThat(pool.queue.inFlight(jedis)).isZero();
            assertThat(pool.queue.backlog(jedis)).isZero();
        }
        passed = true;
    }

    @Test
    void poisonTaskThatKillsWorkersEndsInTheDeadLetterStreamAfterMaxAttempts() throws Exception {
        redis = RedisServerProcess.onFreePort(false).start();
        TestPool pool = new TestPool("poison" + POOLS.incrementAndGet(), redis.port());
        pool.submit("poison", "crash", "");
        int deaths = 0;
        WorkerProcess current = startWorker("w0", env(pool, "RESERVOIR_MAX_ATTEMPTS", "3"));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (pool.replies().isEmpty() && System.nanoTime() < deadline) {
            if (!current.process.isAlive()) {
                assertThat(current.process.exitValue()).isEqualTo(137);
                deaths++;
                current = startWorker("w" + deaths, env(pool, "RESERVOIR_MAX_ATTEMPTS", "3")); // what a supervisor does
            }
            Thread.sleep(100);
        }
        // The pool carries on: a task submitted now runs normally on the last worker.
        pool.submit("fine", "echo", "ok");
        Map<String, List<TaskResult>> results = pool.awaitReplies(2, Duration.ofSeconds(30));
        TaskResult poison = results.get("poison").getFirst();
        assertThat(poison.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(poison.errorType()).isEqualTo(ErrorTypes.WORKER_LOST);
        assertThat(poison.errorMessage()).contains("gave up after 3 attempt(s)");
        assertThat(deaths).isEqualTo(3);
        assertThat(results.get("fine").getFirst().status()).isEqualTo(TaskStatus.OK);
        try (Jedis jedis = pool.jedis()) {
            var dead = jedis.xrange(pool.keys.dead(), (StreamEntryID) null, null);
            assertThat(dead).hasSize(1);
            assertThat(dead.getFirst().getFields()).containsEntry("id", "poison").containsEntry("error_type", ErrorTypes.WORKER_LOST);
        }
        passed = true;
    }

    @Test
    void redisKilledAndRestartedMidRunTheWorkersReconnectAndTheBatchCompletes() throws Exception {
        redis = RedisServerProcess.onFreePort(true).start(); // append-only, fsync always: as production Redis should run
        TestPool pool = new TestPool("restart" + POOLS.incrementAndGet(), redis.port());
        pool.submitMany(400, "r", "sleep", () -> "10");
        startWorker("a", env(pool));
        startWorker("b", env(pool));
        await().atMost(Duration.ofSeconds(60)).until(() -> pool.replies().size() >= 50);
        redis.kill();
        Thread.sleep(1500);
        redis.start();
        Map<String, List<TaskResult>> results = pool.awaitReplies(400, Duration.ofSeconds(120));
        assertExactlyOnceOk(results, 400);
        for (WorkerProcess w : workers) {
            assertThat(w.process.isAlive()).as("worker %s survived the outage", w.id).isTrue();
        }
        assertThat(workers).as("the outage was seen and survived").anySatisfy(w -> assertThat(w.log()).contains("lost Redis"));
        passed = true;
    }

    @Test
    void sigtermMidBatchFinishesInFlightTasksHandsBackTheRestAndExitsZero() throws Exception {
        redis = RedisServerProcess.onFreePort(false).start();
        TestPool pool = new TestPool("term" + POOLS.incrementAndGet(), redis.port());
        pool.submitMany(20, "s", "sleep", () -> "300");
        WorkerProcess worker = startWorker("draining", env(pool, "RESERVOIR_THREADS", "2", "RESERVOIR_PREFETCH", "2"));
        try (Jedis jedis = pool.jedis()) {
            // 2 running and at least one claimed but not started (with 300 ms tasks the time-bounded prefetch
            // keeps 1 of the 2 once a few runs have been seen)
            await().atMost(Duration.ofSeconds(60)).until(() -> pool.replies().size() >= 2
                    && pool.queue.inFlightByConsumer(jedis).getOrDefault("draining", 0L) >= 3);
            worker.terminate();
            assertThat(worker.awaitExit(30)).isZero();
            assertThat(worker.log()).contains("draining").contains("stopped");
            assertThat(pool.queue.inFlight(jedis)).as("nothing left claimed by the stopped worker").isZero();
            assertThat(pool.queue.stats(jedis).get("handed_back")).isPositive();
            assertThat(pool.queue.heartbeats(jedis)).isEmpty();
            int done = pool.replies().size();
            assertThat(done).isLessThan(20);
            startWorker("successor", env(pool));
            assertExactlyOnceOk(pool.awaitReplies(20, Duration.ofSeconds(60)), 20);
        }
        passed = true;
    }

    @Test
    void invalidConfigurationExitsTwoWithOneLinePerProblem() throws Exception {
        redis = null;
        WorkerProcess bad = startWorker("bad", Map.of("RESERVOIR_THREADS", "zero", "RESERVOIR_MAX_ATTEMPTS", "0"));
        assertThat(bad.awaitExit(30)).isEqualTo(2);
        assertThat(bad.log()).contains("invalid configuration: RESERVOIR_THREADS='zero' is not a whole number")
                .contains("invalid configuration: RESERVOIR_MAX_ATTEMPTS=0 is out of range");
        passed = true;
    }
}
