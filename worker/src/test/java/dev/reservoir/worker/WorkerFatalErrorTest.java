package dev.reservoir.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.worker.handler.HandlerRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * An Error in one of the worker's own threads goes to its fatal-error policy, and the worker is unready
 * (and not live) from then on; a RuntimeException in a housekeeping task does not stop that task. The
 * Errors come from where they would in production: code the worker calls on its own threads (a
 * channel's close, run by the interrupt of a timed-out task; a logging handler).
 */
class WorkerFatalErrorTest {
    static RedisServerProcess redis;
    static final AtomicInteger POOLS = new AtomicInteger();
    /** JUL holds loggers weakly: this keeps the one a test handler is added to. */
    static final Logger WORKER_LOGGERS = Logger.getLogger("dev.reservoir.worker");
    final HttpClient http = HttpClient.newHttpClient();
    final AtomicReference<Worker> worker = new AtomicReference<>();
    final Recording policy = new Recording(worker);
    Handler logHandler;

    /** The in-process policy: records the first error, and whether the worker was already unready when called. */
    static final class Recording implements FatalErrorPolicy {
        final AtomicReference<Worker> worker;
        final CompletableFuture<Throwable> error = new CompletableFuture<>();
        final AtomicInteger calls = new AtomicInteger();
        volatile String threadName;
        volatile boolean readyWhenCalled;
        volatile boolean liveWhenCalled;

        Recording(AtomicReference<Worker> worker) {
            this.worker = worker;
        }

        @Override
        public void onFatalError(Thread thread, Throwable error) {
            readyWhenCalled = worker.get().isReady();
            liveWhenCalled = worker.get().isLive();
            threadName = thread.getName();
            calls.incrementAndGet();
            this.error.complete(error);
        }
    }

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.onFreePort(false).start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @AfterEach
    void stop() {
        if (logHandler != null) {
            WORKER_LOGGERS.removeHandler(logHandler);
        }
        if (worker.get() != null) {
            worker.get().drainAndStop();
        }
    }

    private TestPool pool() {
        return new TestPool("fatal" + POOLS.incrementAndGet(), redis.port());
    }

    private Worker startWorker(TestPool pool, String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("RESERVOIR_POOL", pool.keys.pool(), "RESERVOIR_REDIS_URL", redis.url(),
                "RESERVOIR_WORKER_ID", "w-" + pool.keys.pool(), "RESERVOIR_THREADS", "2", "RESERVOIR_HTTP_PORT", "0",
                "RESERVOIR_VISIBILITY_TIMEOUT", "1s", "RESERVOIR_MAX_ATTEMPTS", "1", "RESERVOIR_DRAIN_TIMEOUT", "2s"));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        worker.set(new Worker(WorkerConfig.fromEnvironment(env, new String[0]), HandlerRegistry.load(null), policy));
        return worker.get().start();
    }

    /** Makes logging a message that starts with {@code prefix}, on a thread whose name matches {@code threadName}, throw {@code error}. */
    private void throwWhenLogged(String threadName, String prefix, Error error) {
        logHandler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (Thread.currentThread().getName().matches(threadName) && record.getMessage().startsWith(prefix)) {
                    throw error;
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        WORKER_LOGGERS.addHandler(logHandler);
    }

    private int status(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.get().httpPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static Task failingClose(String id, String what, TestPool pool) {
        return new Task(id, "failing-close", what.getBytes(StandardCharsets.UTF_8), pool.replyKey, 1, 0, 1000, null);
    }

    private void assertFatal(Throwable expected, String thread) throws Exception {
        assertThat(policy.calls.get()).as("the policy is called once").isEqualTo(1);
        assertThat(policy.threadName).isEqualTo(thread);
        assertThat(policy.readyWhenCalled).as("unready before the policy runs").isFalse();
        assertThat(policy.liveWhenCalled).as("not live before the policy runs").isFalse();
        assertThat(worker.get().fatalError()).isSameAs(expected);
        assertThat(worker.get().isReady()).isFalse();
        assertThat(status("/ready")).isEqualTo(503);
        assertThat(status("/live")).isEqualTo(503);
    }

    @Test
    void anErrorInAHousekeepingTaskGoesToThePolicyAndTheWorkerIsUnready() throws Exception {
        TestPool pool = pool();
        startWorker(pool);
        await().atMost(Duration.ofSeconds(10)).until(worker.get()::isReady);
        assertThat(status("/ready")).isEqualTo(200);
        assertThat(status("/live")).isEqualTo(200);
        // its timeout interrupts it, and the interrupt closes its channel on the housekeeping thread: the close throws
        pool.submit(failingClose("t", "error", pool));
        Throwable error = policy.error.get(20, TimeUnit.SECONDS);
        assertThat(error).isInstanceOf(OutOfMemoryError.class).hasMessage("thrown by a test channel's close");
        assertFatal(error, "reservoir-housekeeper");
        // the task itself still ends as a timeout; nothing more is claimed
        assertThat(pool.awaitReplies(1, Duration.ofSeconds(10)).get("t").getFirst().errorType()).isEqualTo(ErrorTypes.TIMEOUT);
        Thread.sleep(1500); // a claim the fetcher had sent before is answered within its 1 s block; then it stops
        pool.submit("later", "echo", "x");
        Thread.sleep(1500);
        try (Jedis jedis = pool.jedis()) {
            assertThat(pool.queue.backlog(jedis)).as("a task submitted after the fatal error is left to healthy workers").isEqualTo(1);
        }
    }

    @Test
    void aRuntimeExceptionInAHousekeepingTaskDoesNotCancelIt() throws Exception {
        TestPool pool = pool();
        startWorker(pool);
        pool.submit(failingClose("first", "runtime", pool));
        TaskResult first = pool.awaitReplies(1, Duration.ofSeconds(20)).get("first").getFirst();
        assertThat(first.errorType()).isEqualTo(ErrorTypes.TIMEOUT);
        // the timeouts are still enforced after the run that threw: this task is interrupted too
        pool.submit(new Task("second", "sleep", "60000".getBytes(StandardCharsets.UTF_8), pool.replyKey, 1, 0, 300, null));
        TaskResult second = pool.awaitReplies(2, Duration.ofSeconds(20)).get("second").getFirst();
        assertThat(second.errorType()).isEqualTo(ErrorTypes.TIMEOUT);
        assertThat(policy.calls.get()).as("a RuntimeException is not fatal").isZero();
        assertThat(worker.get().isReady()).isTrue();
    }

    @Test
    void anErrorInTheFetcherGoesToThePolicyAndTheWorkerIsUnready() throws Exception {
        TestPool pool = pool();
        // A task claimed by a worker that vanished: the fetcher reclaims it in its first round, once it is consuming,
        // and logs that on its own thread, where this logging handler throws.
        pool.submit("orphan", "echo", "x");
        try (Jedis jedis = pool.jedis()) {
            assertThat(pool.queue.read(jedis, "w-gone", 1, Duration.ofMillis(100))).hasSize(1);
        }
        Thread.sleep(1100); // idle longer than the visibility timeout
        StackOverflowError thrown = new StackOverflowError("thrown by a test logging handler");
        throwWhenLogged("reservoir-fetcher", "reclaimed", thrown);
        startWorker(pool);
        assertThat(policy.error.get(20, TimeUnit.SECONDS)).isSameAs(thrown);
        assertFatal(thrown, "reservoir-fetcher");
    }

    @Test
    void anErrorWhileWritingAnOutcomeGoesToThePolicyAndTheWorkerIsUnready() throws Exception {
        TestPool pool = pool();
        // Writing an outcome that failed for good logs it on the writing thread: the runner that wrote it alone, or the completer.
        StackOverflowError thrown = new StackOverflowError("thrown by a test logging handler");
        throwWhenLogged("reservoir-(runner-\\d+|completer)", "task doomed failed for good", thrown);
        startWorker(pool, "RESERVOIR_THREAD_MODE", "virtual");
        await().atMost(Duration.ofSeconds(10)).until(worker.get()::isReady);
        pool.submit("doomed", "fail", "x");
        assertThat(policy.error.get(20, TimeUnit.SECONDS)).isSameAs(thrown);
        assertThat(policy.threadName).matches("reservoir-(runner-\\d+|completer)");
        assertFatal(thrown, policy.threadName);
    }
}
