package dev.reservoir.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.reservoir.client.MapOptions;
import dev.reservoir.client.Pool;
import dev.reservoir.client.Reservoir;
import dev.reservoir.client.Result;
import dev.reservoir.client.ResultIterator;
import dev.reservoir.client.ResultTimeoutException;
import dev.reservoir.client.TaskFailedException;
import dev.reservoir.client.TaskFuture;
import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.StatsFields;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client API and local mode against real worker JVMs and a real (embedded) Redis. */
class LocalPoolTest {
    static LocalPool local;
    static Reservoir reservoir;
    static Pool pool;
    static final List<String> events = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startPool() {
        PoolSpec spec = PoolSpec.defaults("local-test", 2, 4).withDrainTimeout(Duration.ofSeconds(10));
        local = LocalPool.start(spec, LocalPool.Options.defaults().withEvents(events::add));
        // No worker JVM can have booted and published a heartbeat yet.
        assertThat(local.state()).isEqualTo(LocalPool.State.STARTING);
        local.awaitReady(Duration.ofSeconds(120));
        assertThat(local.state()).isEqualTo(LocalPool.State.RUNNING);
        reservoir = Reservoir.connect(local.redisUrl());
        pool = reservoir.pool("local-test");
    }

    @AfterAll
    static void stopPool() {
        if (reservoir != null) {
            reservoir.close();
        }
        if (local != null) {
            Map<String, Long> pids = local.workerPids();
            local.close();
            assertThat(local.state()).isEqualTo(LocalPool.State.STOPPED);
            // Nothing left running: every worker JVM has exited.
            pids.values().forEach(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    .as("worker pid %d after close", pid).isFalse());
        }
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void futuresApplyAndGetAgainstRealWorkers() throws Exception {
        List<TaskFuture> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            futures.add(pool.submit("echo", "e" + i));
        }
        for (int i = 0; i < 200; i++) {
            assertThat(futures.get(i).get().valueAsString()).isEqualTo("e" + i);
        }
        assertThat(pool.apply("sha256", "1Ki").valueAsString()).hasSize(64);
        assertThat(pool.get(futures.getFirst().taskId())).hasValueSatisfying(r -> assertThat(r.valueAsString()).isEqualTo("e0"));
        assertThat(futures).extracting(f -> f.join().worker()).allMatch(w -> w.startsWith("local-test-w"));
    }

    @Test
    void mapKeepsInputOrderThoughTasksFinishOutOfOrder() {
        // Longer sleeps first: they finish last, yet results come back in input order.
        List<byte[]> input = IntStream.range(0, 64).mapToObj(i -> b(Integer.toString((64 - i) % 8 * 3))).toList();
        List<Result> results = pool.map("sleep", input, new MapOptions(16, 4));
        assertThat(results).hasSize(64);
        for (int i = 0; i < 64; i++) {
            // sleep returns its payload, so each result must be the one of input i
            assertThat(results.get(i).valueAsString()).as("result %d", i).isEqualTo(Integer.toString((64 - i) % 8 * 3));
            assertThat(results.get(i).taskId()).isNotNull();
        }
        List<Result> echoed = pool.map("echo", IntStream.range(0, 2000).mapToObj(i -> b("m" + i)).toList(), new MapOptions(128, 16));
        for (int i = 0; i < 2000; i++) {
            assertThat(echoed.get(i).valueAsString()).isEqualTo("m" + i);
        }
    }

    @Test
    void aFailingTaskIsRetriedThenDeadLetteredAndCompletesItsFutureExceptionally() {
        long deadBefore = pool.status().deadLetters();
        TaskFuture f = pool.submit("fail", "boom");
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).cause().isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.errorType()).isEqualTo(ErrorTypes.HANDLER_ERROR);
            assertThat(e.errorMessage()).isNotBlank();
            assertThat(e.result().attempts()).isEqualTo(3);
        });
        assertThat(pool.status().deadLetters()).isEqualTo(deadBefore + 1);
        assertThatThrownBy(() -> pool.apply("no-such-handler", "x")).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.errorType()).isEqualTo(ErrorTypes.UNKNOWN_HANDLER));
    }

    @Test
    void aTimeoutIsDistinctFromAFailure() {
        assertThatThrownBy(() -> pool.apply("sleep", b("1500"), Duration.ofMillis(100)))
                .isInstanceOfSatisfying(ResultTimeoutException.class, e -> {
                    assertThat(e).isNotInstanceOf(TaskFailedException.class);
                    await().atMost(Duration.ofSeconds(30)).until(() -> pool.get(e.taskId()).isPresent());
                    assertThat(pool.get(e.taskId()).orElseThrow().isOk()).isTrue();
                });
    }

    @Test
    void closeAndJoinOnASecondHandle() throws Exception {
        try (Reservoir other = Reservoir.connect(local.redisUrl())) {
            Pool handle = other.pool("local-test");
            List<TaskFuture> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                futures.add(handle.submit("sleep", "20"));
            }
            handle.close();
            assertThatThrownBy(() -> handle.submit("echo", "x")).isInstanceOf(IllegalStateException.class);
            handle.join();
            assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
            assertThat(handle.outstanding()).isZero();
        }
    }

    @Test
    void aWorkerKilledMidBatchIsReplacedAndTheBatchCompletesWithEveryResultExactlyOnce() {
        long completedBefore = pool.status().counters().get(StatsFields.COMPLETED);
        long reclaimedBefore = pool.status().counters().get(StatsFields.RECLAIMED);
        int replacedBefore = local.replaced();
        int n = 800;
        // 10 ms tasks keep every slot busy, so the killed worker holds claimed tasks when it dies.
        List<byte[]> input = Collections.nCopies(n, b("10"));
        List<Result> got = new ArrayList<>();
        long victim = -1;
        try (ResultIterator it = pool.imap("sleep", input, new MapOptions(64, 8))) {
            while (it.hasNext()) {
                got.add(it.next());
                if (got.size() == 150) {
                    victim = local.workerPids().values().iterator().next();
                    ProcessHandle.of(victim).orElseThrow().destroyForcibly(); // kill -9: no drain, its claims stay pending
                }
            }
        }
        assertThat(victim).isPositive();
        assertThat(got).hasSize(n).allMatch(Result::isOk);
        // In input order, one result per task: task ids carry the client's submission sequence.
        long first = sequenceOf(got.getFirst().taskId());
        for (int i = 0; i < n; i++) {
            assertThat(sequenceOf(got.get(i).taskId())).as("result %d", i).isEqualTo(first + i);
        }
        assertThat(got).extracting(Result::worker).doesNotContainNull();
        // Each result was written exactly once: the completion script writes only for the task's current owner.
        assertThat(pool.status().counters().get(StatsFields.COMPLETED) - completedBefore).isEqualTo(n);
        assertThat(pool.status().inFlight()).isZero();
        // The victim died holding claimed tasks, and the supervisor handed them back at once.
        assertThat(pool.status().counters().get(StatsFields.RECLAIMED) - reclaimedBefore).isPositive();
        assertThat(events).anyMatch(e -> e.contains("died with exit code 137") && e.contains("handed back"));
        await().atMost(Duration.ofSeconds(60)).until(() -> local.replaced() > replacedBefore && local.workerPids().size() == 2);
        assertThat(local.workerPids()).doesNotContainValue(victim);
    }

    private static long sequenceOf(String taskId) {
        return Long.parseLong(taskId.substring(taskId.lastIndexOf('-') + 1), 36);
    }
}
