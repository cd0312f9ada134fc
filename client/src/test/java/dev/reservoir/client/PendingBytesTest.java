package dev.reservoir.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.reservoir.redis.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client holds each payload until its task's outcome (issue 11, finding 8, client side):
 * {@code maxPendingBytes} bounds those bytes per pool handle, as {@code maxPending} bounds the count.
 * Every task's outcome is counted: each comes back once, with its own payload.
 */
class PendingBytesTest {
    static RedisServerProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.onFreePort(false).start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    static byte[] payload(int size, char fill) {
        byte[] p = new byte[size];
        Arrays.fill(p, (byte) fill);
        return p;
    }

    @Test
    void submitBlocksAtMaxPendingBytesAndGoesOnAsOutcomesComeBack() throws Exception {
        try (Reservoir reservoir = Reservoir.connect(redis.url());
             QueueConsumer consumer = new QueueConsumer(redis.url(), "bytes")) {
            Pool pool = reservoir.pool("bytes", PoolOptions.defaults().withMaxPendingBytes(1000));
            consumer.hold = true;
            TaskFuture first = pool.submit("echo", payload(400, 'a'));
            TaskFuture second = pool.submit("echo", payload(400, 'b'));
            CompletableFuture<TaskFuture> third = CompletableFuture.supplyAsync(() -> pool.submit("echo", payload(400, 'c')));
            Thread.sleep(300);
            assertThat(third).as("800 of 1000 bytes held: a third 400-byte task waits").isNotDone();
            assertThat(pool.outstanding()).isEqualTo(2);
            consumer.hold = false;
            List<TaskFuture> all = List.of(first, second, third.get(20, TimeUnit.SECONDS));
            char fill = 'a';
            for (TaskFuture f : all) {
                assertThat(f.get(20, TimeUnit.SECONDS).value()).isEqualTo(payload(400, fill++));
            }
            assertThat(pool.join(Duration.ofSeconds(10))).isTrue();
            // counted by the consumer just after it wrote the outcomes, so possibly after the client read them
            await().atMost(Duration.ofSeconds(10)).until(() -> consumer.handled.get() >= 3);
            assertThat(consumer.handled.get()).isEqualTo(3);
        }
    }

    @Test
    void aPayloadLargerThanTheWholeBoundRunsAloneAndSmallOnesWaitBehindIt() throws Exception {
        try (Reservoir reservoir = Reservoir.connect(redis.url());
             QueueConsumer consumer = new QueueConsumer(redis.url(), "big")) {
            Pool pool = reservoir.pool("big", PoolOptions.defaults().withMaxPendingBytes(1000));
            consumer.hold = true;
            TaskFuture big = pool.submit("echo", payload(5000, 'x')); // admitted: nothing else outstanding
            CompletableFuture<TaskFuture> small = CompletableFuture.supplyAsync(() -> pool.submit("echo", payload(10, 's')));
            Thread.sleep(300);
            assertThat(small).as("the big payload holds the whole bound").isNotDone();
            consumer.hold = false;
            assertThat(big.get(20, TimeUnit.SECONDS).value()).hasSize(5000);
            assertThat(small.get(20, TimeUnit.SECONDS).get(20, TimeUnit.SECONDS).value()).isEqualTo(payload(10, 's'));
            assertThat(pool.join(Duration.ofSeconds(10))).isTrue();
            // counted by the consumer just after it wrote the outcomes, so possibly after the client read them
            await().atMost(Duration.ofSeconds(10)).until(() -> consumer.handled.get() >= 2);
            assertThat(consumer.handled.get()).isEqualTo(2);
        }
    }

    @Test
    void imapStaysWithinMaxPendingBytes() throws Exception {
        try (Reservoir reservoir = Reservoir.connect(redis.url());
             QueueConsumer consumer = new QueueConsumer(redis.url(), "imap-bytes")) {
            // 200 tasks of 1 KiB through a 4 KiB bound: never more than 4 unanswered, whatever maxInFlight says.
            Pool pool = reservoir.pool("imap-bytes", PoolOptions.defaults().withMaxPendingBytes(4096));
            List<byte[]> input = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                input.add(payload(1024, (char) ('A' + i % 26)));
            }
            List<Result> results = pool.map("echo", input, new MapOptions(64, 16));
            assertThat(results).hasSize(200);
            for (int i = 0; i < 200; i++) {
                assertThat(results.get(i).value()).isEqualTo(input.get(i));
            }
            assertThat(consumer.maxOutstandingInRedis.get()).isLessThanOrEqualTo(4);
            // counted by the consumer just after it wrote the outcomes, so possibly after the client read them
            await().atMost(Duration.ofSeconds(10)).until(() -> consumer.handled.get() >= 200);
            assertThat(consumer.handled.get()).isEqualTo(200);
        }
    }

    @Test
    void theBoundIsChecked() {
        assertThatThrownBy(() -> PoolOptions.defaults().withMaxPendingBytes(0)).hasMessageContaining("maxPendingBytes");
        assertThatThrownBy(() -> PoolOptions.defaults().withMaxPendingBytes(1L << 31)).hasMessageContaining("2 GiB");
        assertThat(PoolOptions.defaults().maxPendingBytes()).isEqualTo(64L << 20);
    }
}
