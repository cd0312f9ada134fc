package dev.reservoir.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.redis.StreamEntry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/** The submit side against a real redis-server with no consumer: what reaches Redis, when, and what callers see. */
class SubmitPathTest {
    RedisServerProcess redis;
    Reservoir reservoir;

    @BeforeEach
    void start() {
        redis = RedisServerProcess.onFreePort(false).start();
        reservoir = Reservoir.connect(redis.url());
    }

    @AfterEach
    void stop() {
        reservoir.close();
        redis.close();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    long queued(String pool) {
        try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
            return jedis.xlen(new PoolKeys(pool).tasks());
        }
    }

    @Test
    void detachedTasksNeedNoWorkersAndAreNotHeldByMaxPending() throws Exception {
        Pool pool = reservoir.pool("detached", PoolOptions.defaults().withMaxPending(10));
        List<CompletableFuture<String>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            futures.add(pool.submitDetached("echo", b("d" + i))); // would block at the 11th if it waited for outcomes
        }
        List<String> ids = new ArrayList<>();
        for (CompletableFuture<String> f : futures) {
            ids.add(f.get());
        }
        assertThat(ids).doesNotHaveDuplicates().allMatch(id -> id.startsWith(reservoir.clientId()));
        assertThat(queued("detached")).isEqualTo(200);
        assertThat(pool.outstanding()).isZero();
        pool.join(); // nothing left to wait for: returns although no worker ever ran them
        try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
            Object raw = jedis.sendCommand(Protocol.Command.XRANGE, b(new PoolKeys("detached").tasks()), b("-"), b("+"), b("COUNT"), b("1"));
            StreamEntry first = StreamEntry.parse(((List<?>) raw).getFirst(), 1);
            // No reply stream for fire-and-forget, no submitted time (workers take it from the stream id).
            assertThat(first.fields().keySet()).containsExactly("id", "handler", "payload");
            assertThat(first.text("id")).isEqualTo(ids.getFirst());
        }
    }

    /** Sends a signal (STOP, CONT) to the redis-server process. */
    static void signal(long pid, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s %d: %s", signal, pid, new String(kill.getInputStream().readAllBytes())).isZero();
    }

    @Test
    void aTaskCancelledOrTimedOutBeforeItWasSentIsNeverQueued() throws Exception {
        Pool pool = reservoir.pool("paused");
        long pid;
        try (Jedis admin = new Jedis("127.0.0.1", redis.port())) {
            pid = admin.info("server").lines().filter(l -> l.startsWith("process_id:"))
                    .mapToLong(l -> Long.parseLong(l.substring("process_id:".length()).trim())).findFirst().orElseThrow();
        }
        // Redis is frozen until this test resumes it, however long the test thread stalls: the submitter's
        // connection cannot be set up meanwhile (connect succeeds, its PING gets no answer). A timed
        // CLIENT PAUSE could expire before the cancel below, and CLIENT UNPAUSE is itself held by PAUSE ALL.
        signal(pid, "STOP");
        TaskFuture after;
        try {
            assertThatThrownBy(() -> pool.apply("echo", b("late"), Duration.ofMillis(300)))
                    .isInstanceOf(ResultTimeoutException.class)
                    .hasMessageContaining("could not be sent to Redis within 300 ms, so it was not queued");
            TaskFuture cancelled = pool.submit("echo", b("cancelled"));
            assertThat(cancelled.cancel(false)).isTrue();
            Throwable notQueued = cancelled.accepted().handle((v, e) -> e).get(30, TimeUnit.SECONDS);
            assertThat(notQueued).isInstanceOf(CancellationException.class).hasMessageContaining("not queued");
            assertThat(pool.outstanding()).isZero();
            after = pool.submit("echo", b("after"));
        } finally {
            signal(pid, "CONT");
        }
        after.accepted().get(30, TimeUnit.SECONDS); // once Redis runs again
        assertThat(queued("paused")).as("only the task nobody gave up on reached Redis").isEqualTo(1);
        assertThat(pool.outstanding()).isEqualTo(1);
    }

    @Test
    void aConnectFailureOnSubmitIsAClearConnectionErrorAndReleasesTheTask() {
        Pool pool = reservoir.pool("down", PoolOptions.defaults().withMaxPending(1));
        redis.stop(); // before the first task: the submitter has no connection yet
        TaskFuture f = pool.submit("echo", b("x"));
        assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(ReservoirConnectionException.class)
                .hasMessageContaining("cannot reach Redis at " + redis.url())
                .hasMessageContaining("the task was not queued");
        assertThat(f.accepted()).isCompletedExceptionally();
        // released just after the future completes (join() relies on that order): not necessarily before get() returns
        await().atMost(Duration.ofSeconds(5)).until(() -> pool.outstanding() == 0);
        // The permit came back (maxPending is 1): a blocking apply gets the same clear error, not a hang.
        assertThatThrownBy(() -> pool.apply("echo", b("y"), Duration.ofSeconds(30))).isInstanceOf(ReservoirConnectionException.class);
    }

    @Test
    void cancellingAnUnansweredTaskReleasesItsPermitAndJoin() throws Exception {
        Pool pool = reservoir.pool("cancel", PoolOptions.defaults().withMaxPending(1));
        TaskFuture first = pool.submit("echo", b("1"));
        first.accepted().get(30, TimeUnit.SECONDS);
        assertThat(first.cancel(false)).isTrue();
        assertThat(first.cancel(false)).as("a second cancel changes nothing").isTrue();
        assertThat(first.accepted()).isCompletedWithValue(null); // it was sent before the cancel
        assertThat(pool.outstanding()).isZero();
        assertThat(pool.join(Duration.ZERO)).isTrue();
        TaskFuture second = pool.submit("echo", b("2")); // maxPending 1: would block if the cancel had kept the permit
        second.accepted().get(30, TimeUnit.SECONDS);
        assertThat(second.complete(Result.of(dev.reservoir.protocol.TaskResult.ok(second.taskId(), b("local"), 1, "me", 0)))).isTrue();
        assertThat(pool.outstanding()).isZero();
        assertThat(reservoir.pendingCount()).isZero();
    }

    @Test
    void everyWayOfCompletingAFutureReleasesItsTaskExactlyOnce() throws Exception {
        Pool pool = reservoir.pool("release", PoolOptions.defaults().withMaxPending(2));
        Result local = Result.of(dev.reservoir.protocol.TaskResult.ok("x", b("local"), 1, "me", 0));
        TaskFuture byCaller = pool.submit("echo", b("1"));
        TaskFuture timedOut = pool.submit("echo", b("2"));
        assertThat(pool.outstanding()).isEqualTo(2);
        assertThat(byCaller.completeExceptionally(new IllegalStateException("given up"))).isTrue();
        assertThat(byCaller.complete(local)).as("a second completion").isFalse();
        byCaller.obtrudeValue(local); // overwrites the value, releases nothing more
        assertThat(byCaller.join()).isSameAs(local);
        timedOut.orTimeout(50, TimeUnit.MILLISECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.outstanding() == 0);
        assertThat(timedOut).isCompletedExceptionally();
        assertThat(reservoir.pendingCount()).isZero();
        assertThat(pool.join(Duration.ZERO)).isTrue();

        // Exactly maxPending permits again: two submits pass, a third waits until one of them is released.
        TaskFuture a = pool.submit("echo", b("a"));
        pool.submit("echo", b("b"));
        CompletableFuture<TaskFuture> third = CompletableFuture.supplyAsync(() -> pool.submit("echo", b("c")));
        Thread.sleep(300);
        assertThat(third).as("a third submit beyond maxPending 2").isNotDone();
        a.cancel(false);
        assertThat(third.get(10, TimeUnit.SECONDS).taskId()).isNotNull();
        assertThat(pool.outstanding()).isEqualTo(2);
    }

    @Test
    void aTaskHandedOverAfterTheSubmitterStoppedIsFailedNotLeft() {
        // A caller racing close() can hand a task over after the submitter's last drain; it must still complete.
        Submitter submitter = new Submitter(dev.reservoir.redis.RedisEndpoint.parse(redis.url(), null), "late", 16);
        submitter.start();
        submitter.stop();
        TaskRegistry registry = new TaskRegistry("late");
        PendingTask task = new PendingTask("late-1", registry.quota(1, 1, new dev.reservoir.redis.PoolQueue("late")), new byte[0][], false, 0,
                Duration.ofMinutes(1));
        registry.admit(task);
        submitter.enqueueAll(List.of(task));
        assertThat(task.future).isCompletedExceptionally();
        assertThat(task.future.accepted()).isCompletedExceptionally();
        assertThatThrownBy(task.future::join).hasMessageContaining("client closed before the task was sent");
        assertThat(registry.awaitingCount()).isZero();
    }

    @Test
    void oneHandlePerPoolNameEvenWhenOpenedConcurrently() throws Exception {
        Set<Pool> handles = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofPlatform().start(() -> handles.add(reservoir.pool("shared"))));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(handles).hasSize(1);
        handles.iterator().next().submit("echo", b("z")).accepted().get(30, TimeUnit.SECONDS);
        assertThat(queued("shared")).isEqualTo(1);
    }
}
