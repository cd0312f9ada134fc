package dev.reservoir.worker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import dev.reservoir.protocol.WorkerState;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.worker.TestPool;
import java.nio.charset.StandardCharsets;
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
 * task that kills every worker that runs it, Redis killed and restarted mid-run, SIGTERM mid-batch,
 * an Error in one of the worker's own threads.
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

    /** Sends a signal (STOP, CONT, ...) to a worker process. */
    private static void signal(WorkerProcess w, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(w.process.pid())).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -%s %s", signal, w.id).isZero();
    }

    /** Claims the consumer holds in Redis (its pending entries). */
    private static long claimsOf(TestPool pool, Jedis jedis, String consumer) {
        return pool.queue.inFlightByConsumer(jedis).getOrDefault(consumer, 0L);
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
        WorkerProcess victim = startWorker("victim", env(pool));
        startWorker("survivor-1", env(pool));
        startWorker("survivor-2", env(pool));
        try (Jedis jedis = pool.jedis()) {
            // All three consuming before the batch goes in, so the victim gets its share however late its JVM starts;
            // 300 x 100 ms is 2.5 s of work for the 12 threads: plenty left when the victim dies.
            await().atMost(Duration.ofSeconds(60)).until(() -> pool.queue.heartbeats(jedis).stream()
                    .filter(h -> h.state() == WorkerState.RUNNING).count() == 3);
            pool.submitMany(300, "t", "sleep", () -> "100");
            await().atMost(Duration.ofSeconds(60)).until(() -> pool.replies().size() >= 60);
            // Freeze the victim and look at its claims: stopped, it can neither finish nor claim, so claims seen now are
            // claims it dies with (the pause lets a write it sent just before the stop reach Redis first). Holding none at
            // that instant (between tasks), it goes on and is looked at again.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long frozenWith;
            while (true) {
                signal(victim, "STOP");
                Thread.sleep(200);
                frozenWith = claimsOf(pool, jedis, "victim");
                if (frozenWith > 0 || System.nanoTime() > deadline) {
                    break;
                }
                signal(victim, "CONT");
                Thread.sleep(20);
            }
            assertThat(frozenWith).as("claims of the victim when it is killed").isPositive();
            victim.kill9();
            // Once Redis has dropped its connections it has run every command the victim sent: what it still owns now
            // can only leave it by being reclaimed (survivors may already have reclaimed some: those count as well).
            await().atMost(Duration.ofSeconds(10)).until(() -> !jedis.clientList().contains("-victim "));
            long held = claimsOf(pool, jedis, "victim");
            Map<String, List<TaskResult>> results = pool.awaitReplies(300, Duration.ofSeconds(90));
            assertExactlyOnceOk(results, 300);
            assertThat(pool.queue.stats(jedis).get("reclaimed")).as("the victim's claimed tasks (%d at its death) were reclaimed", held)
                    .isPositive().isGreaterThanOrEqualTo(held);
            assertThat(claimsOf(pool, jedis, "victim")).isZero();
            assertThat(pool.queue.inFlight(jedis)).isZero();
            assertThat(pool.queue.backlog(jedis)).isZero();
        }
        passed = true;
    }

    @Test
    void aWorkerFrozenForThreeVisibilityTimeoutsAndResumedLosesNothingAndDuplicatesNothing() throws Exception {
        // A long GC pause, as the issue puts it: the frozen worker's claims lapse and a peer reclaims and runs them; when
        // the frozen one resumes, the tasks it was running finish, and its writes for tasks it no longer owns are skipped.
        redis = RedisServerProcess.onFreePort(false).start();
        TestPool pool = new TestPool("pause" + POOLS.incrementAndGet(), redis.port());
        WorkerProcess frozen = startWorker("frozen", env(pool));
        startWorker("peer", env(pool));
        try (Jedis jedis = pool.jedis()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> pool.queue.heartbeats(jedis).stream()
                    .filter(h -> h.state() == WorkerState.RUNNING).count() == 2);
            pool.submitMany(200, "p", "sleep", () -> "50");
            await().atMost(Duration.ofSeconds(60)).until(() -> pool.replies().size() >= 20);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long frozenWith;
            while (true) {
                signal(frozen, "STOP");
                Thread.sleep(200);
                frozenWith = claimsOf(pool, jedis, "frozen");
                if (frozenWith > 0 || System.nanoTime() > deadline) {
                    break;
                }
                signal(frozen, "CONT");
                Thread.sleep(20);
            }
            assertThat(frozenWith).as("claims of the worker when it is frozen").isPositive();
            Thread.sleep(3_000); // 3 x the visibility timeout of 1s
            signal(frozen, "CONT");
            Map<String, List<TaskResult>> results = pool.awaitReplies(200, Duration.ofSeconds(90));
            assertExactlyOnceOk(results, 200);
            assertThat(pool.queue.stats(jedis).get("reclaimed")).as("the frozen worker's claims were taken over").isPositive();
            assertThat(frozen.process.isAlive()).as("the frozen worker carries on after it resumes").isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.queue.inFlight(jedis) == 0);
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
    void aHandlerThatIgnoresItsTimeoutIsAbandonedItsQueuedSiblingRunsElsewhereAndItsWorkerIsReplaced() throws Exception {
        redis = RedisServerProcess.onFreePort(false).start();
        TestPool pool = new TestPool("stuck" + POOLS.incrementAndGet(), redis.port());
        // taskTimeout 1s: a grace of 5s (the least), so a stuck attempt is abandoned about 6s after it started.
        Map<String, String> env = env(pool, "RESERVOIR_THREADS", "1", "RESERVOIR_PREFETCH", "1", "RESERVOIR_TASK_TIMEOUT", "1s",
                "RESERVOIR_MAX_ATTEMPTS", "2", "RESERVOIR_VISIBILITY_TIMEOUT", "30s");
        pool.submit("stuck", "stubborn", "600000");
        pool.submit("behind", "echo", "ok");
        WorkerProcess first = startWorker("first", env);
        try (Jedis jedis = pool.jedis()) {
            // The stuck task runs on the one thread and the echo waits claimed behind it (prefetch 1): both are first's.
            await().atMost(Duration.ofSeconds(60)).until(() -> claimsOf(pool, jedis, "first") == 2);
            startWorker("idle", env);
            await().atMost(Duration.ofSeconds(60)).until(() -> pool.queue.heartbeats(jedis).stream()
                    .filter(h -> h.workerId().equals("idle") && h.state() == WorkerState.RUNNING).count() == 1);
            // Abandoned 6s after it started, first hands the echo back at once, and the idle worker runs it.
            Map<String, List<TaskResult>> echo = pool.awaitReplies(1, Duration.ofSeconds(20));
            assertThat(echo).containsOnlyKeys("behind");
            assertThat(echo.get("behind").getFirst().status()).isEqualTo(TaskStatus.OK);
            assertThat(echo.get("behind").getFirst().worker()).isEqualTo("idle");
            assertThat(first.awaitExit(40)).as("the stuck worker drains and exits 0").isZero();
            assertThat(first.log()).contains("ignored the interrupt");
            // Each attempt of the stuck task gets a worker stuck and recycled; replace them as a supervisor does,
            // until the second attempt fails for good.
            int recycled = 1;
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            List<WorkerProcess> alive = new ArrayList<>(List.of(workers.get(1), startWorker("replacement-1", env)));
            while (recycled < 2 && System.nanoTime() < deadline) {
                for (int i = 0; i < alive.size(); i++) {
                    if (!alive.get(i).process.isAlive()) {
                        assertThat(alive.get(i).process.exitValue()).as("exit of %s", alive.get(i).id).isZero();
                        recycled++;
                        alive.set(i, startWorker("replacement-" + (recycled), env));
                    }
                }
                Thread.sleep(100);
            }
            assertThat(recycled).as("workers recycled, one per stuck attempt").isEqualTo(2);
            // The pool carries on with its replacements.
            pool.submit("after", "echo", "ok");
            Map<String, List<TaskResult>> results = pool.awaitReplies(3, Duration.ofSeconds(60));
            assertThat(results).containsOnlyKeys("stuck", "behind", "after");
            results.forEach((id, list) -> assertThat(list).as("outcomes of %s", id).hasSize(1));
            TaskResult stuck = results.get("stuck").getFirst();
            assertThat(stuck.status()).isEqualTo(TaskStatus.FAILED);
            assertThat(stuck.errorType()).isEqualTo(ErrorTypes.TIMEOUT);
            assertThat(stuck.attempts()).isEqualTo(2);
            assertThat(results.get("after").getFirst().status()).isEqualTo(TaskStatus.OK);
            var dead = jedis.xrange(pool.keys.dead(), (StreamEntryID) null, null);
            assertThat(dead).hasSize(1);
            assertThat(dead.getFirst().getFields()).containsEntry("id", "stuck").containsEntry("error_type", ErrorTypes.TIMEOUT);
            assertThat(pool.queue.inFlight(jedis)).isZero();
            assertThat(pool.queue.backlog(jedis)).isZero();
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
        assertThat(workers).as("the outage was seen and survived").anySatisfy(w -> assertThat(w.log()).contains("Redis is unreachable"));
        passed = true;
    }

    @Test
    void sigtermMidBatchFinishesInFlightTasksHandsBackTheRestAndExitsZero() throws Exception {
        redis = RedisServerProcess.onFreePort(false).start();
        TestPool pool = new TestPool("term" + POOLS.incrementAndGet(), redis.port());
        // Two long tasks first: claimed first, they take both threads (runners start claims in order) and keep them for
        // 5 s, so the tasks claimed after them surely wait unstarted when the signal comes, however late it comes.
        pool.submit("long0", "sleep", "5000");
        pool.submit("long1", "sleep", "5000");
        pool.submitMany(18, "s", "sleep", () -> "300");
        WorkerProcess worker = startWorker("draining", env(pool, "RESERVOIR_THREADS", "2", "RESERVOIR_PREFETCH", "2"));
        try (Jedis jedis = pool.jedis()) {
            // 2 running and 2 claimed but not started (no run seen yet: the whole prefetch of 2 is in effect). 4 is the most
            // it can hold (threads + prefetch) and no slot frees until a long task ends, so these are its claims at the signal.
            await().atMost(Duration.ofSeconds(60)).until(() -> claimsOf(pool, jedis, "draining") == 4);
            long held = claimsOf(pool, jedis, "draining");
            worker.terminate();
            assertThat(worker.awaitExit(30)).isZero();
            assertThat(worker.log()).contains("draining").contains("stopped");
            assertThat(pool.queue.inFlight(jedis)).as("nothing left claimed by the stopped worker").isZero();
            assertThat(pool.queue.stats(jedis).get("handed_back")).as("the %d claims beyond the 2 running tasks were handed back", held - 2)
                    .isEqualTo(held - 2);
            // within 2s: a heartbeat published after the removal would live its 5s TTL
            await().atMost(Duration.ofSeconds(2)).until(() -> pool.queue.heartbeats(jedis).isEmpty());
            Map<String, List<TaskResult>> finished = pool.replies();
            assertThat(finished).as("the running tasks finished, nothing else was started").containsOnlyKeys("long0", "long1");
            finished.values().forEach(list -> assertThat(list).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(TaskStatus.OK);
                assertThat(r.worker()).isEqualTo("draining");
            }));
            startWorker("successor", env(pool));
            assertExactlyOnceOk(pool.awaitReplies(20, Duration.ofSeconds(60)), 20);
        }
        passed = true;
    }

    @Test
    void aFatalErrorInAWorkerThreadHaltsTheProcessWithStatus70AndAnotherWorkerTakesOver() throws Exception {
        redis = RedisServerProcess.onFreePort(false).start();
        TestPool pool = new TestPool("fatal" + POOLS.incrementAndGet(), redis.port());
        // Its timeout interrupts it, and the interrupt closes its channel on the housekeeping thread, where the close
        // throws an OutOfMemoryError (see FailingCloseHandler).
        pool.submit(new Task("doomed", "failing-close", "error".getBytes(StandardCharsets.UTF_8), pool.replyKey, 1, 0, 1000, null));
        WorkerProcess victim = startWorker("victim", env(pool, "RESERVOIR_MAX_ATTEMPTS", "1"));
        assertThat(victim.awaitExit(60)).isEqualTo(70);
        assertThat(victim.log()).contains("fatal error in reservoir-housekeeper")
                .contains("java.lang.OutOfMemoryError: thrown by a test channel's close");
        // The task ends once: as the timeout the victim wrote before it halted, or, when the halt came first, given up by
        // the successor that reclaims it (its one attempt was used).
        startWorker("successor", env(pool, "RESERVOIR_MAX_ATTEMPTS", "1"));
        pool.submit("after", "echo", "ok");
        Map<String, List<TaskResult>> results = pool.awaitReplies(2, Duration.ofSeconds(60));
        assertThat(results.get("doomed")).singleElement().satisfies(r -> assertThat(r.errorType()).isIn(ErrorTypes.TIMEOUT, ErrorTypes.WORKER_LOST));
        assertThat(results.get("after")).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(TaskStatus.OK));
        try (Jedis jedis = pool.jedis()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.queue.inFlight(jedis) == 0);
        }
        passed = true;
    }

    @Test
    void invalidConfigurationExitsTwoWithOneLinePerProblem() throws Exception {
        redis = null;
        WorkerProcess bad = startWorker("bad", Map.of("RESERVOIR_THREADS", "zero", "RESERVOIR_MAX_ATTEMPTS", "0"));
        assertThat(bad.awaitExit(30)).isEqualTo(2);
        assertThat(bad.log()).contains("invalid configuration: RESERVOIR_THREADS: 'zero' is not a whole number")
                .contains("invalid configuration: RESERVOIR_MAX_ATTEMPTS: 0 is out of range");
        passed = true;
    }
}
