package dev.reservoir.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import dev.reservoir.protocol.WorkerState;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.redis.StreamEntry;
import dev.reservoir.worker.handler.HandlerRegistry;
import dev.reservoir.worker.handler.TaskHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/** A worker running in this JVM against a real Redis: results, errors, retries, dead letters, drain. */
class WorkerTest {
    static RedisServerProcess redis;
    static final AtomicInteger POOLS = new AtomicInteger();
    Worker worker;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.onFreePort(false).start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @AfterEach
    void stopWorker() {
        if (worker != null) {
            worker.drainAndStop();
        }
    }

    private TestPool pool() {
        return new TestPool("w" + POOLS.incrementAndGet(), redis.port());
    }

    private Worker startWorker(TestPool pool, Map<String, String> extra) {
        return startWorker(pool, extra, HandlerRegistry.load(null));
    }

    private Worker startWorker(TestPool pool, Map<String, String> extra, HandlerRegistry handlers) {
        Map<String, String> env = new HashMap<>(Map.of("RESERVOIR_POOL", pool.keys.pool(), "RESERVOIR_REDIS_URL", redis.url(),
                "RESERVOIR_WORKER_ID", "w-" + pool.keys.pool(), "RESERVOIR_THREADS", "4", "RESERVOIR_HTTP_PORT", "0",
                "RESERVOIR_VISIBILITY_TIMEOUT", "2s", "RESERVOIR_MEMORY_BLOCK_SIZE", "4Ki"));
        env.putAll(extra);
        worker = new Worker(WorkerConfig.fromEnvironment(env, new String[0]), handlers).start();
        return worker;
    }

    /**
     * A handler named "gated" that counts its runs and returns its payload only once {@code gate} is open: a
     * task that is surely still running at a given point of a test, however late the test thread gets there.
     */
    private static TaskHandler gated(CountDownLatch gate, AtomicInteger runs) {
        return new TaskHandler() {
            @Override
            public String name() {
                return "gated";
            }

            @Override
            public byte[] handle(dev.reservoir.worker.handler.TaskContext context) throws Exception {
                runs.incrementAndGet();
                gate.await();
                return context.payloadBytes();
            }
        };
    }

    @Test
    void runsTasksAndWritesEachResultOnce() throws Exception {
        TestPool pool = pool();
        pool.submitMany(200, "e", "echo", () -> "hello");
        startWorker(pool, Map.of());
        Map<String, List<TaskResult>> results = pool.awaitReplies(200, Duration.ofSeconds(30));
        assertThat(results).hasSize(200);
        assertThat(results.values()).allSatisfy(list -> {
            assertThat(list).hasSize(1);
            assertThat(list.getFirst().status()).isEqualTo(TaskStatus.OK);
            assertThat(list.getFirst().valueAsString()).isEqualTo("hello");
            assertThat(list.getFirst().worker()).isEqualTo("w-" + pool.keys.pool());
        });
        try (Jedis jedis = pool.jedis()) {
            assertThat(pool.queue.result(jedis, "e7").valueAsString()).isEqualTo("hello");
            assertThat(pool.queue.inFlight(jedis)).isZero();
            assertThat(pool.queue.backlog(jedis)).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> jedis.xlen(pool.keys.tasks()) == 0); // trimmed in bulk
        }
        assertThat(worker.isReady()).isTrue();
    }

    @Test
    void badTasksFailClearlyAndTheWorkerKeepsGoing() throws Exception {
        TestPool pool = pool();
        startWorker(pool, Map.of());
        pool.submit("u", "no-such-handler", "x");
        pool.submit(Task.of("big", "echo", new byte[5000], pool.replyKey));
        try (Jedis jedis = pool.jedis()) {
            // a malformed entry: no handler field
            jedis.xadd(pool.keys.tasks(), StreamEntryID.NEW_ENTRY, Map.of("id", "m", "reply", pool.replyKey));
        }
        pool.submit("s", "sleep", "not-a-number");
        pool.submit("long", "sleep", "600001"); // beyond the built-in sleep's cap of 10 minutes: refused at once
        pool.submit("ok", "echo", "still alive");
        Map<String, List<TaskResult>> r = pool.awaitReplies(6, Duration.ofSeconds(20));
        assertThat(r.get("u").getFirst().errorType()).isEqualTo(ErrorTypes.UNKNOWN_HANDLER);
        assertThat(r.get("u").getFirst().errorMessage()).contains("no handler named 'no-such-handler'").contains("echo");
        assertThat(r.get("big").getFirst().errorType()).isEqualTo(ErrorTypes.PAYLOAD_TOO_LARGE);
        assertThat(r.get("big").getFirst().errorMessage()).contains("5000 bytes").contains("memoryPool.blockSize");
        assertThat(r.get("m").getFirst().errorType()).isEqualTo(ErrorTypes.MALFORMED_TASK);
        assertThat(r.get("m").getFirst().errorMessage()).contains("'handler'");
        assertThat(r.get("s").getFirst().errorType()).isEqualTo(ErrorTypes.NON_RETRYABLE);
        assertThat(r.get("s").getFirst().attempts()).isEqualTo(1);
        assertThat(r.get("long").getFirst().errorType()).isEqualTo(ErrorTypes.NON_RETRYABLE);
        assertThat(r.get("long").getFirst().errorMessage()).contains("0 to 600000");
        assertThat(r.get("long").getFirst().attempts()).isEqualTo(1);
        assertThat(r.get("ok").getFirst().valueAsString()).isEqualTo("still alive");
        try (Jedis jedis = pool.jedis()) {
            assertThat(pool.queue.deadLetters(jedis)).isEqualTo(5);
            var big = jedis.xrange(pool.keys.dead(), (StreamEntryID) null, null).stream()
                    .filter(e -> "big".equals(e.getFields().get("id"))).findFirst().orElseThrow();
            assertThat(big.getFields().get("payload")).as("the dead letter keeps a prefix of the oversized payload, not a copy")
                    .hasSize(Fetcher.DEAD_LETTER_PAYLOAD_PREFIX);
        }
    }

    @Test
    void failingTaskIsRetriedThenDeadLetteredWithItsLastError() throws Exception {
        TestPool pool = pool();
        startWorker(pool, Map.of("RESERVOIR_MAX_ATTEMPTS", "3"));
        pool.submit("poison", "fail", "kaboom");
        TaskResult result = pool.awaitReplies(1, Duration.ofSeconds(20)).get("poison").getFirst();
        assertThat(result.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(result.attempts()).isEqualTo(3);
        assertThat(result.errorType()).isEqualTo(ErrorTypes.HANDLER_ERROR);
        assertThat(result.errorMessage()).contains("kaboom");
        try (Jedis jedis = pool.jedis()) {
            var dead = jedis.xrange(pool.keys.dead(), (StreamEntryID) null, null);
            assertThat(dead).hasSize(1);
            assertThat(dead.getFirst().getFields()).containsEntry("id", "poison").containsEntry("handler", "fail")
                    .containsEntry("payload", "kaboom").containsEntry("attempts", "3");
            assertThat(pool.queue.stats(jedis)).containsEntry("retried", 2L).containsEntry("dead_lettered", 1L);
        }
    }

    @Test
    void timeoutInterruptsTheTaskAndCountsAsAFailedAttempt() throws Exception {
        TestPool pool = pool();
        startWorker(pool, Map.of("RESERVOIR_MAX_ATTEMPTS", "2"));
        pool.submit(new Task("slow", "sleep", "60000".getBytes(StandardCharsets.UTF_8), pool.replyKey, 1, 0, 300, null));
        TaskResult result = pool.awaitReplies(1, Duration.ofSeconds(20)).get("slow").getFirst();
        assertThat(result.errorType()).isEqualTo(ErrorTypes.TIMEOUT);
        assertThat(result.attempts()).isEqualTo(2);
    }

    @Test
    void theLargestTimeoutATaskCanAskForIsNoTimeoutAtAll() throws Exception {
        TestPool pool = pool();
        startWorker(pool, Map.of("RESERVOIR_MAX_ATTEMPTS", "1"));
        pool.submit(new Task("long-timeout", "sleep", "50".getBytes(StandardCharsets.UTF_8), pool.replyKey, 1, 0, Long.MAX_VALUE, null));
        pool.submit(new Task("near-max", "sleep", "50".getBytes(StandardCharsets.UTF_8), pool.replyKey, 1, 0, Long.MAX_VALUE / 1_000_000 + 1, null));
        Map<String, List<TaskResult>> results = pool.awaitReplies(2, Duration.ofSeconds(20));
        results.forEach((id, list) -> assertThat(list).as(id).singleElement().satisfies(r -> {
            assertThat(r.status()).as("status of %s: %s", id, r.errorMessage()).isEqualTo(TaskStatus.OK);
        }));
    }

    @Test
    void claimsNoMoreThanThreadsPlusPrefetch() throws Exception {
        TestPool pool = pool();
        pool.submitMany(20, "s", "sleep", () -> "400");
        startWorker(pool, Map.of("RESERVOIR_THREADS", "2", "RESERVOIR_PREFETCH", "1"));
        try (Jedis jedis = pool.jedis()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.queue.inFlight(jedis) > 0);
            for (int i = 0; i < 10; i++) {
                assertThat(pool.queue.inFlight(jedis)).isLessThanOrEqualTo(3);
                assertThat(worker.heartbeat().busyThreads()).isLessThanOrEqualTo(2);
                Thread.sleep(50);
            }
        }
    }

    @Test
    void aLargePrefetchIsNotHoardedWhenTasksAreLong() throws Exception {
        TestPool pool = pool();
        pool.submitMany(40, "long", "sleep", () -> "100");
        startWorker(pool, Map.of("RESERVOIR_THREADS", "2", "RESERVOIR_PREFETCH", "64"));
        try (Jedis jedis = pool.jedis()) {
            // Once a few 100 ms runs are seen, 2 threads start only 0.04 tasks per 2 ms window: one extra claim at most.
            await().atMost(Duration.ofSeconds(20)).until(() -> worker.heartbeat().completed() >= 6);
            for (int i = 0; i < 10; i++) {
                assertThat(pool.queue.inFlight(jedis)).as("claimed tasks, with 64 of prefetch allowed").isLessThanOrEqualTo(3);
                Thread.sleep(50);
            }
            long done = worker.heartbeat().completed();
            assertThat(pool.queue.backlog(jedis)).as("the rest stays in the shared queue for peers (" + done + " done)")
                    .isGreaterThanOrEqualTo(40 - done - 3 - 2); // 3 claimed, 2 finishing while we look
        }
    }

    /**
     * A write whose answer was lost (connection broke after Redis ran the script) is retried; the retry finds the
     * task acknowledged. The worker must tell that apart from a task reclaimed by another worker: only the
     * latter drops an outcome.
     */
    @Test
    void aRetryOfAWriteThatLandedIsRecognisedAndAReclaimedTaskIsNot() {
        TestPool pool = pool();
        try (Jedis jedis = pool.jedis()) {
            pool.queue.ensureGroup(jedis);
            pool.submit(Task.of("t1", "echo", "x".getBytes(StandardCharsets.UTF_8), pool.replyKey));
            StreamEntry entry = pool.queue.read(jedis, "w-a", 1, Duration.ofMillis(100)).getFirst();
            TaskResult mine = TaskResult.ok("t1", "x".getBytes(StandardCharsets.UTF_8), 1, "w-a", 7);
            List<PoolQueue.Outcome> outcome = List.of(new PoolQueue.Outcome(entry.id(), mine, pool.replyKey, "echo", null));

            assertThat(Completer.alreadyWritten(pool.queue.result(jedis, "t1"), mine)).as("nothing stored yet").isFalse();
            assertThat(pool.queue.complete(jedis, "w-a", outcome, Duration.ofMinutes(1), Duration.ofMinutes(1), 100)).containsExactly(true);
            // the retry: skipped by the script, and recognised as this very outcome
            assertThat(pool.queue.complete(jedis, "w-a", outcome, Duration.ofMinutes(1), Duration.ofMinutes(1), 100)).containsExactly(false);
            assertThat(Completer.alreadyWritten(pool.queue.result(jedis, "t1"), mine)).isTrue();

            // another worker's outcome for the task (it reclaimed and ran it): ours is dropped
            TaskResult theirs = TaskResult.ok("t1", "x".getBytes(StandardCharsets.UTF_8), 2, "w-b", 7);
            assertThat(Completer.alreadyWritten(theirs, mine)).isFalse();
            // the same worker's earlier, failed attempt is not this outcome either
            TaskResult earlier = TaskResult.failed("t1", "handler_error", "boom", 1, "w-a", 7);
            assertThat(Completer.alreadyWritten(earlier, mine)).isFalse();
        }
    }

    @Test
    void claimsSentAheadOfTheHandOverLoseNothingAcrossADrain() throws Exception {
        TestPool pool = pool();
        startWorker(pool, Map.of());
        // One task at a time: each claim is followed by the next read sent before the task is handed over.
        for (int i = 0; i < 30; i++) {
            pool.submit("s" + i, "echo", "x");
            pool.awaitReplies(i + 1, Duration.ofSeconds(10));
        }
        // More tasks as the worker drains, while its fetcher may have a read out: whatever that read claims is
        // handed back or run by the drain, never left claimed in Redis.
        for (int i = 30; i < 36; i++) {
            pool.submit("s" + i, "sleep", "50");
        }
        worker.drainAndStop();
        try (Jedis jedis = pool.jedis()) {
            assertThat(pool.queue.inFlight(jedis)).as("nothing left claimed by the stopped worker").isZero();
            assertThat(pool.replies().size() + pool.queue.backlog(jedis)).isEqualTo(36);
        }
        worker = null;
        startWorker(pool, Map.of("RESERVOIR_WORKER_ID", "second"));
        assertThat(pool.awaitReplies(36, Duration.ofSeconds(20))).hasSize(36).allSatisfy((id, list) -> assertThat(list).hasSize(1));
    }

    @Test
    void drainFinishesRunningTasksAndHandsBackTheRest() throws Exception {
        TestPool pool = pool();
        // the running tasks cannot finish (nor the prefetched ones start) until the gate opens, however slow this thread is
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        pool.submitMany(6, "d", "gated", () -> "x");
        startWorker(pool, Map.of("RESERVOIR_THREADS", "2", "RESERVOIR_PREFETCH", "2"), HandlerRegistry.of(List.of(gated(gate, runs))));
        Worker first = worker;
        try (Jedis jedis = pool.jedis()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> first.heartbeat().busyThreads() == 2 && pool.queue.inFlight(jedis) == 4);
            Thread drain = Thread.ofPlatform().name("test-drain").start(first::drainAndStop);
            try {
                // the prefetched tasks are handed back at once, while the running ones are still running
                await().atMost(Duration.ofSeconds(10)).until(() -> pool.queue.stats(jedis).getOrDefault("handed_back", 0L) == 2L);
                assertThat(first.state()).isEqualTo(WorkerState.DRAINING);
                assertThat(pool.replies()).isEmpty();
            } finally {
                gate.countDown();
            }
            drain.join(Duration.ofSeconds(30));
            assertThat(first.state()).isEqualTo(WorkerState.STOPPED);
            // the two running tasks finished; the two prefetched ones and the two never claimed are back in the queue
            assertThat(pool.replies()).hasSize(2);
            assertThat(runs.get()).as("only the two running tasks were started").isEqualTo(2);
            assertThat(pool.queue.inFlight(jedis)).isZero();
            assertThat(pool.queue.backlog(jedis)).isEqualTo(4);
            assertThat(pool.queue.stats(jedis)).containsEntry("handed_back", 2L);
            // within 2s: a heartbeat published after the removal would live its 5s TTL
            await().atMost(Duration.ofSeconds(2)).until(() -> pool.queue.heartbeats(jedis).isEmpty());
        } finally {
            gate.countDown();
        }
        worker = null;
        // a new worker finishes the rest: nothing lost
        startWorker(pool, Map.of("RESERVOIR_WORKER_ID", "second"), HandlerRegistry.of(List.of(gated(gate, runs))));
        assertThat(pool.awaitReplies(6, Duration.ofSeconds(20))).hasSize(6).allSatisfy((id, list) -> assertThat(list).hasSize(1));
    }

    @Test
    void stoppingWhileRedisIsDownLosesNothing() throws Exception {
        RedisServerProcess own = RedisServerProcess.onFreePort(true).start();
        try {
            TestPool pool = new TestPool("down" + POOLS.incrementAndGet(), own.port());
            // the task returns only once Redis is dead: its outcome surely cannot be written
            CountDownLatch redisDead = new CountDownLatch(1);
            AtomicInteger runs = new AtomicInteger();
            HandlerRegistry handlers = HandlerRegistry.of(List.of(gated(redisDead, runs)));
            pool.submit("slow", "gated", "x");
            Map<String, String> env = new HashMap<>(Map.of("RESERVOIR_POOL", pool.keys.pool(), "RESERVOIR_REDIS_URL", own.url(),
                    "RESERVOIR_WORKER_ID", "first", "RESERVOIR_THREADS", "1", "RESERVOIR_HTTP_PORT", "-1",
                    "RESERVOIR_VISIBILITY_TIMEOUT", "1s", "RESERVOIR_DRAIN_TIMEOUT", "5s"));
            worker = new Worker(WorkerConfig.fromEnvironment(env, new String[0]), handlers).start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> worker.heartbeat().busyThreads() == 1);
                own.kill(); // returns once the process is gone
            } finally {
                redisDead.countDown();
            }
            // the task finishes but its outcome cannot be written; the drain must still end, in bounded time
            assertThat(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
                worker.drainAndStop();
                return worker.state();
            })).isEqualTo(WorkerState.STOPPED);
            own.start(); // same data (append-only file): the task is still claimed by the stopped worker
            env.put("RESERVOIR_WORKER_ID", "second");
            worker = new Worker(WorkerConfig.fromEnvironment(env, new String[0]), handlers).start();
            Map<String, List<TaskResult>> results = pool.awaitReplies(1, Duration.ofSeconds(30));
            assertThat(results.get("slow")).hasSize(1);
            assertThat(results.get("slow").getFirst().worker()).isEqualTo("second");
            assertThat(results.get("slow").getFirst().attempts()).isEqualTo(2);
        } finally {
            if (worker != null) {
                worker.drainAndStop();
                worker = null;
            }
            own.kill();
        }
    }

    @Test
    void maxTasksPerWorkerDrainsAfterNTasks() throws Exception {
        TestPool pool = pool();
        pool.submitMany(10, "m", "echo", () -> "x");
        startWorker(pool, Map.of("RESERVOIR_MAX_TASKS_PER_WORKER", "4", "RESERVOIR_THREADS", "2"));
        assertThat(worker.awaitStopped(Duration.ofSeconds(20))).isTrue();
        // exactly the 4 it claimed were run (a recycling worker runs its prefetched tasks, it does not hand them back)
        assertThat(pool.replies()).hasSize(4);
        try (Jedis jedis = pool.jedis()) {
            assertThat(pool.queue.backlog(jedis)).isEqualTo(6);
        }
    }

    @Test
    void noTaskSeesTheBytesAnEarlierTaskLeftInTheMemoryPool() throws Exception {
        TestPool pool = pool();
        // Counts the non-zero bytes of a fresh scratch block, then fills it with a secret; keeps it (for its
        // scope to release) when the payload starts with "keep", else releases it.
        TaskHandler snoop = new TaskHandler() {
            @Override
            public String name() {
                return "snoop";
            }

            @Override
            public byte[] handle(dev.reservoir.worker.handler.TaskContext context) throws Exception {
                var scratch = context.scratch();
                long dirty = 0;
                for (byte b : scratch.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)) {
                    dirty += b != 0 ? 1 : 0;
                }
                scratch.segment().fill((byte) 0x5A);
                if (!new String(context.payloadBytes(), StandardCharsets.UTF_8).startsWith("keep")) {
                    scratch.release();
                }
                return ("dirty " + dirty).getBytes(StandardCharsets.UTF_8);
            }
        };
        // One thread and two blocks: every task's payload and scratch blocks are the two an earlier task used.
        Map<String, String> env = new HashMap<>(Map.of("RESERVOIR_POOL", pool.keys.pool(), "RESERVOIR_REDIS_URL", redis.url(),
                "RESERVOIR_WORKER_ID", "w-" + pool.keys.pool(), "RESERVOIR_HTTP_PORT", "-1", "RESERVOIR_THREADS", "1",
                "RESERVOIR_MEMORY_BLOCK_SIZE", "4Ki", "RESERVOIR_MEMORY_BLOCKS", "2", "RESERVOIR_MEMORY_MAX_BLOCKS", "2"));
        worker = new Worker(WorkerConfig.fromEnvironment(env, new String[0]), HandlerRegistry.of(List.of(snoop))).start();
        String secret = "secret ".repeat(500); // 3500 bytes of the 4Ki payload block
        for (int i = 0; i < 6; i++) {
            pool.submit(new Task("s" + i, "snoop", ((i % 2 == 0 ? "keep " : "release ") + secret).getBytes(StandardCharsets.UTF_8),
                    pool.replyKey, 1, 0, 0, null));
        }
        Map<String, List<TaskResult>> results = pool.awaitReplies(6, Duration.ofSeconds(30));
        assertThat(results.values()).allSatisfy(list -> {
            assertThat(list.getFirst().status()).isEqualTo(TaskStatus.OK);
            assertThat(list.getFirst().valueAsString()).isEqualTo("dirty 0");
        });
    }

    @Test
    void aScratchBlockTheHandlerKeepsIsReleasedAndReportedAndQueueWaitNeedsNoSubmittedField() throws Exception {
        TestPool pool = pool();
        TaskHandler keeps = new TaskHandler() {
            @Override
            public String name() {
                return "keeps-scratch";
            }

            @Override
            public byte[] handle(dev.reservoir.worker.handler.TaskContext context) throws Exception {
                context.scratch().segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1); // never released
                return context.payloadBytes();
            }
        };
        Map<String, String> env = new HashMap<>(Map.of("RESERVOIR_POOL", pool.keys.pool(), "RESERVOIR_REDIS_URL", redis.url(),
                "RESERVOIR_WORKER_ID", "w-" + pool.keys.pool(), "RESERVOIR_HTTP_PORT", "-1", "RESERVOIR_MEMORY_BLOCK_SIZE", "4Ki"));
        worker = new Worker(WorkerConfig.fromEnvironment(env, new String[0]), HandlerRegistry.of(List.of(keeps))).start();
        // no submitted field (a client may leave it out): the queue wait comes from the stream id's time
        pool.submit(new Task("k1", "keeps-scratch", "p".getBytes(StandardCharsets.UTF_8), pool.replyKey, 1, 0, 0, null));
        TaskResult result = pool.awaitReplies(1, Duration.ofSeconds(10)).get("k1").getFirst();
        assertThat(result.status()).isEqualTo(TaskStatus.OK);
        assertThat(result.valueAsString()).isEqualTo("p");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(worker.scrapeMetrics())
                .contains("reservoir_memory_leaks 1.0")
                .contains("reservoir_memory_blocks_in_use 0.0")
                .contains("reservoir_task_queue_wait_seconds_count 1"));
    }

    @Test
    void publishesHeartbeatAndServesHealthAndMetrics() throws Exception {
        TestPool pool = pool();
        startWorker(pool, Map.of());
        try (Jedis jedis = pool.jedis()) {
            // the first heartbeat may still say STARTING (published before Redis was reached by the fetcher)
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.queue.heartbeats(jedis).stream()
                    .anyMatch(h -> h.state() == WorkerState.RUNNING));
            var hb = pool.queue.heartbeats(jedis).getFirst();
            assertThat(hb.workerId()).isEqualTo("w-" + pool.keys.pool());
            assertThat(hb.state()).isEqualTo(WorkerState.RUNNING);
            assertThat(hb.threads()).isEqualTo(4);
            assertThat(hb.memoryBlocksCapacity()).isGreaterThan(0);
            assertThat(hb.jitMillis()).as("JIT time of the worker's JVM").isPositive();
        }
        await().atMost(Duration.ofSeconds(10)).until(worker::isReady);
        var http = java.net.http.HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + worker.httpPort();
        assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/ready")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        pool.submit("h", "echo", "x");
        pool.awaitReplies(1, Duration.ofSeconds(10));
        // the counter goes up just after the write that made the reply visible: a scrape may come in between
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("reservoir_tasks_total{outcome=\"ok\"} 1.0").contains("reservoir_memory_blocks_allocated")
                    .contains("reservoir_task_duration_seconds_bucket");
        });
        var drain = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/drain"))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(drain.statusCode()).isEqualTo(202);
        assertThat(worker.awaitStopped(Duration.ofSeconds(20))).isTrue();
    }
}
