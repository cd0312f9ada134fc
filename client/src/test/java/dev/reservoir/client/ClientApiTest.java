package dev.reservoir.client;

import dev.reservoir.spec.Dispatch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.RedisServerProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.XAddParams;

/** The client API against a real redis-server and a PoolQueue-based consumer (no worker process needed). */
class ClientApiTest {
    static RedisServerProcess redis;
    Reservoir reservoir;
    QueueConsumer consumer;
    Pool pool;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.onFreePort(false).start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void connect() {
        try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
            jedis.flushAll();
        }
        reservoir = Reservoir.connect(redis.url());
        pool = reservoir.pool("api");
        consumer = new QueueConsumer(redis.url(), "api");
    }

    @AfterEach
    void close() throws InterruptedException {
        consumer.close();
        reservoir.close();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void submitCompletesFuturesWithTheirOwnResults() throws Exception {
        List<CompletableFuture<Result>> futures = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            futures.add(pool.submit("echo", "item-" + i));
        }
        for (int i = 0; i < 500; i++) {
            Result r = futures.get(i).get();
            assertThat(r.valueAsString()).isEqualTo("item-" + i);
            assertThat(r.isOk()).isTrue();
            assertThat(r.worker()).isEqualTo("test-worker");
        }
        assertThat(reservoir.pendingCount()).isZero();
    }

    @Test
    void theReaderKeepsItsReplyStreamAlive() {
        // the consumer creates the reply stream with a five-minute TTL and never renews it: the reader does
        assertThat(pool.apply("echo", "hello").valueAsString()).isEqualTo("hello");
        try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
            List<String> replies = new ArrayList<>(jedis.keys(new PoolKeys("api").prefix() + "reply:*"));
            assertThat(replies).hasSize(1);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(jedis.pttl(replies.getFirst()))
                    .as("renewed to ReplyStreams.TTL by the reader").isGreaterThan(Duration.ofMinutes(5).toMillis()));
        }
    }

    @Test
    void applyBlocksForTheValue() {
        assertThat(pool.apply("echo", "hello").valueAsString()).isEqualTo("hello");
        assertThat(pool.applyAsync("echo", "async").join().valueAsString()).isEqualTo("async");
    }

    @Test
    void aFailedTaskCarriesTheRemoteErrorTypeAndMessage() {
        CompletableFuture<Result> f = pool.submit("fail", "x");
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).cause().isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.errorType()).isEqualTo(ErrorTypes.HANDLER_ERROR);
            assertThat(e.errorMessage()).isEqualTo("IllegalStateException: asked to fail");
            assertThat(e.result().attempts()).isEqualTo(3);
            assertThat(e.isRunTimeout()).isFalse();
        });
        assertThatThrownBy(() -> pool.apply("nope", "x")).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.errorType()).isEqualTo(ErrorTypes.UNKNOWN_HANDLER));
        // the failure is kept by task id, like any result
        String id = ((TaskFailedException) Pool.unwrap(f.handle((r, e) -> e).join())).taskId();
        assertThat(pool.get(id)).hasValueSatisfying(r -> assertThat(r.errorType()).isEqualTo(ErrorTypes.HANDLER_ERROR));
    }

    @Test
    void aTimeoutIsNotAFailureAndTheResultCanBeFetchedLater() {
        // Open the submit connection first, so the timed task is surely queued before the caller gives up
        // (a task still unsent at the timeout is cancelled and reported as not queued instead).
        assertThat(pool.apply("echo", "warm").valueAsString()).isEqualTo("warm");
        consumer.hold = true; // no outcome until released, however long the wait: the timeout is certain
        assertThatThrownBy(() -> pool.apply("echo", b("late"), Duration.ofSeconds(2)))
                .isInstanceOfSatisfying(ResultTimeoutException.class, e -> {
                    assertThat(e).isNotInstanceOf(TaskFailedException.class);
                    assertThat(e.getMessage()).contains("get(");
                    // the caller gave up: nothing is tracked for it any more
                    assertThat(pool.outstanding()).isZero();
                    assertThat(reservoir.pendingCount()).isZero();
                    consumer.hold = false;
                    await().atMost(Duration.ofSeconds(30)).until(() -> pool.get(e.taskId()).isPresent());
                    assertThat(pool.get(e.taskId()).orElseThrow().valueAsString()).isEqualTo("late");
                });
        assertThat(pool.get("never-submitted")).isEmpty();
    }

    @Test
    void mapReturnsResultsInInputOrder() {
        List<byte[]> input = IntStream.range(0, 3000).mapToObj(i -> b(Integer.toString(i))).toList();
        List<Result> results = pool.map("echo", input, MapOptions.defaults().withMaxInFlight(256).withChunkSize(32));
        assertThat(results).hasSize(3000);
        for (int i = 0; i < 3000; i++) {
            assertThat(results.get(i).valueAsString()).isEqualTo(Integer.toString(i));
        }
    }

    @Test
    void imapReadsInputLazilyAndNeverHasMoreThanMaxInFlightOutstanding() {
        AtomicInteger produced = new AtomicInteger();
        // An endless input: only a bounded window may ever be read from it.
        Iterable<byte[]> endless = () -> new Iterator<>() {
            public boolean hasNext() {
                return true;
            }

            public byte[] next() {
                return b(Integer.toString(produced.getAndIncrement()));
            }
        };
        consumer.hold = true;
        ResultIterator it = pool.imap("echo", endless, new MapOptions(16, 4));
        assertThat(it.hasNext()).isTrue();
        // nothing answered: the window is full and no more input is read
        assertThat(produced.get()).isEqualTo(16);
        assertThat(it.inFlight()).isEqualTo(16);
        consumer.hold = false;
        for (int i = 0; i < 1000; i++) {
            assertThat(it.next().valueAsString()).isEqualTo(Integer.toString(i));
            assertThat(it.inFlight()).isLessThanOrEqualTo(16);
            assertThat(produced.get() - i - 1).isLessThanOrEqualTo(16);
        }
        it.close();
        assertThat(consumer.maxOutstandingInRedis.get()).isLessThanOrEqualTo(16);
        int producedAtClose = produced.get();
        while (it.hasNext()) {
            it.next(); // what was in flight still arrives
        }
        assertThat(produced.get()).as("closed: no more input is read").isEqualTo(producedAtClose);
    }

    @Test
    void imapGoesOnPastAFailedItem() {
        List<byte[]> input = List.of(b("a"), b("b"), b("c"));
        Iterator<Result> it = pool.imap("echo", input);
        assertThat(it.next().valueAsString()).isEqualTo("a");
        // mixed handlers through one map are not possible, so check map's failure path with 'fail'
        assertThatThrownBy(() -> pool.map("fail", List.of(b("1"), b("2")))).isInstanceOf(TaskFailedException.class);
        ResultIterator failing = pool.imap("fail", List.of(b("1"), b("2")));
        assertThatThrownBy(failing::next).isInstanceOf(TaskFailedException.class);
        assertThatThrownBy(failing::next).isInstanceOf(TaskFailedException.class);
        assertThat(failing.hasNext()).isFalse();
        assertThat(it.next().valueAsString()).isEqualTo("b");
        assertThat(it.next().valueAsString()).isEqualTo("c");
    }

    @Test
    void closeRefusesNewTasksAndJoinWaitsForEverySubmitted() {
        consumer.hold = true;
        List<CompletableFuture<Result>> futures = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            futures.add(pool.submit("echo", "j" + i));
        }
        pool.close();
        assertThatThrownBy(() -> pool.submit("echo", "after")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(pool.join(Duration.ofMillis(100))).as("held tasks are not done").isFalse();
        assertThat(pool.outstanding()).isEqualTo(100);
        consumer.hold = false;
        pool.join();
        assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(pool.outstanding()).isZero();
    }

    @Test
    void maxPendingAppliesBackPressureToSubmit() throws Exception {
        Pool bounded = reservoir.pool("bounded", PoolOptions.defaults().withMaxPending(5));
        try (QueueConsumer c = new QueueConsumer(redis.url(), "bounded")) {
            c.hold = true;
            for (int i = 0; i < 5; i++) {
                bounded.submit("echo", "b" + i);
            }
            CompletableFuture<CompletableFuture<Result>> sixth = CompletableFuture.supplyAsync(() -> bounded.submit("echo", "b5"));
            Thread.sleep(200);
            assertThat(sixth).as("blocked at maxPending").isNotDone();
            c.hold = false;
            assertThat(sixth.get().get().valueAsString()).isEqualTo("b5");
        }
    }

    @Test
    void aChunkLargerThanMaxPendingStillFlows() throws Exception {
        Pool tight = reservoir.pool("tight", PoolOptions.defaults().withMaxPending(3));
        try (QueueConsumer c = new QueueConsumer(redis.url(), "tight")) {
            List<byte[]> input = IntStream.range(0, 100).mapToObj(i -> b("c" + i)).toList();
            List<Result> results = tight.map("echo", input, new MapOptions(64, 16));
            assertThat(results).extracting(Result::valueAsString).containsExactlyElementsOf(IntStream.range(0, 100).mapToObj(i -> "c" + i).toList());
        }
    }

    @Test
    void malformedOutcomesInAReplyEntryAreSkippedAndTheOthersDelivered() throws Exception {
        // No worker for this pool: the test writes the reply entries itself, as a foreign producer might.
        Pool raw = reservoir.pool("raw");
        TaskFuture first = raw.submit("echo", "one");
        TaskFuture second = raw.submit("echo", "two");
        first.accepted().get();
        second.accepted().get();
        byte[] replyKey = b(new PoolKeys("raw").reply(reservoir.clientId()));
        try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
            // an entry with nothing usable in it, then one mixing garbage with a good outcome
            jedis.xadd(replyKey, XAddParams.xAddParams(), Map.of(b("junk"), b("no header line")));
            Map<byte[], byte[]> mixed = new LinkedHashMap<>();
            mixed.put(b("bogus-1"), b("ok - x 1 2 w\nbad attempts"));
            mixed.put(b(first.taskId()), TaskResult.ok(first.taskId(), b("ONE"), 1, "hand", 3).encode());
            mixed.put(b("bogus-2"), b("maybe - 1 1 1 w\n"));
            jedis.xadd(replyKey, XAddParams.xAddParams(), mixed);
            jedis.xadd(replyKey, XAddParams.xAddParams(), Map.of(b(second.taskId()),
                    TaskResult.failed(second.taskId(), ErrorTypes.HANDLER_ERROR, "boom\nline 2", 3, "hand", 4).encode()));
        }
        assertThat(first.get(10, TimeUnit.SECONDS).valueAsString()).isEqualTo("ONE");
        assertThatThrownBy(() -> second.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(TaskFailedException.class)
                .hasMessageContaining("boom");
    }

    @Test
    void aSecondPoolIsReadByTheSameReplyReader() {
        Pool other = reservoir.pool("other");
        try (QueueConsumer c = new QueueConsumer(redis.url(), "other")) {
            assertThat(other.apply("echo", "from-other").valueAsString()).isEqualTo("from-other");
            assertThat(pool.apply("echo", "from-api").valueAsString()).isEqualTo("from-api");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(reservoir.pool("other")).isSameAs(other);
    }

    @Test
    void chosenWorkerRoutingIsRefusedClearlyUntilBuilt() {
        assertThatThrownBy(() -> reservoir.pool("rr", PoolOptions.defaults().withDispatch(Dispatch.RoundRobin)))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("SharedQueue");
    }

    @Test
    void readRepliesAreTrimmedAndTheReplyStreamIsDeletedOnClose() {
        List<byte[]> input = IntStream.range(0, 5000).mapToObj(i -> b("t" + i)).toList();
        assertThat(pool.map("echo", input)).hasSize(5000);
        String replyKey = new PoolKeys("api").reply(reservoir.clientId());
        try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
            assertThat(jedis.xlen(replyKey)).isLessThan(5000);
            reservoir.close();
            assertThat(jedis.exists(replyKey)).isFalse();
        }
    }

    @Test
    void anUnreachableRedisIsOneClearError() {
        int port = RedisServerProcess.freePort();
        assertThatThrownBy(() -> Reservoir.connect("redis://127.0.0.1:" + port)).isInstanceOf(ReservoirConnectionException.class)
                .hasMessageContaining("cannot reach Redis at redis://127.0.0.1:" + port).hasMessageContaining("--redis");
        assertThatThrownBy(() -> Reservoir.connect("http://x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis://");
    }
}
