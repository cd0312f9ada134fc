package dev.reservoir.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RunnerPoolTest {

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void runsEveryItemExactlyOnce(boolean virtual) throws Exception {
        int n = 20_000;
        AtomicInteger[] runs = new AtomicInteger[n];
        for (int i = 0; i < n; i++) {
            runs[i] = new AtomicInteger();
        }
        CountDownLatch done = new CountDownLatch(n);
        RunnerPool<Integer> pool = new RunnerPool<Integer>(4, virtual ? Thread.ofVirtual().factory() : Thread.ofPlatform().factory(),
                i -> {
                    runs[i].incrementAndGet();
                    done.countDown();
                }).start();
        Thread a = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < n; i += 2) {
                pool.submit(i);
            }
        });
        Thread b = Thread.ofPlatform().start(() -> {
            for (int i = 1; i < n; i += 2) {
                pool.submit(i);
            }
        });
        a.join();
        b.join();
        assertThat(done.await(30, TimeUnit.SECONDS)).as("all items ran").isTrue();
        for (int i = 0; i < n; i++) {
            assertThat(runs[i].get()).as("runs of item " + i).isEqualTo(1);
        }
        pool.stop(Duration.ofSeconds(5));
    }

    @Test
    void aBurstOfLongItemsReachesEveryRunner() throws Exception {
        // A burst wakes one runner and each runner wakes the next: every runner must still get one.
        CountDownLatch allStarted = new CountDownLatch(4);
        CountDownLatch release = new CountDownLatch(1);
        Set<Thread> runners = ConcurrentHashMap.newKeySet();
        RunnerPool<Integer> pool = new RunnerPool<Integer>(4, Thread.ofPlatform().factory(), i -> {
            runners.add(Thread.currentThread());
            allStarted.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).start();
        for (int i = 0; i < 4; i++) {
            pool.submit(i);
        }
        assertThat(allStarted.await(10, TimeUnit.SECONDS)).as("4 items running at once on 4 runners").isTrue();
        assertThat(runners).hasSize(4);
        pool.submit(99);
        assertThat(pool.takeQueued()).as("what no runner started can be taken back").containsExactly(99);
        release.countDown();
        pool.stop(Duration.ofSeconds(5));
    }

    @Test
    void stopLetsRunningItemsFinishAndLeavesQueuedOnesToTakeBack() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        RunnerPool<Integer> pool = new RunnerPool<Integer>(1, Thread.ofPlatform().factory(), i -> {
            started.countDown();
            try {
                release.await(); // item 1 runs until the test lets it go, however slow the machine
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            finished.incrementAndGet();
        }).start();
        pool.submit(1);
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        pool.submit(2);
        pool.submit(3);
        Thread stopper = Thread.ofPlatform().start(() -> pool.stop(Duration.ofSeconds(10)));
        // stop() has put its poison in front of 2 and 3 while 1 is still running
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pool.queued() == 3);
        release.countDown();
        stopper.join(Duration.ofSeconds(15));
        assertThat(finished.get()).as("the running item finished, nothing else ran").isEqualTo(1);
        assertThat(pool.takeQueued()).containsExactly(2, 3);
    }
}
