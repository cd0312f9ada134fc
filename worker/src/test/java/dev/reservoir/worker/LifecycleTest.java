package dev.reservoir.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.protocol.WorkerState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The worker's lifecycle only moves forward, whoever moves it and in whatever order. */
class LifecycleTest {

    @Test
    void movesForwardOneStepOrSeveral() {
        Lifecycle lifecycle = new Lifecycle();
        assertThat(lifecycle.state()).isEqualTo(WorkerState.STARTING);
        assertThat(lifecycle.advanceTo(WorkerState.RUNNING)).isTrue();
        assertThat(lifecycle.advanceTo(WorkerState.DRAINING)).isTrue();
        assertThat(lifecycle.advanceTo(WorkerState.STOPPED)).isTrue();
        assertThat(lifecycle.state()).isEqualTo(WorkerState.STOPPED);

        Lifecycle drainedDuringStart = new Lifecycle();
        assertThat(drainedDuringStart.advanceTo(WorkerState.DRAINING)).isTrue();
        assertThat(drainedDuringStart.state()).isEqualTo(WorkerState.DRAINING);
    }

    @Test
    void runningAfterADrainBeganIsRefused() {
        // The fetcher reaches Redis only after a drain began: its STARTING -> RUNNING must not undo the drain.
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.advanceTo(WorkerState.DRAINING);
        assertThat(lifecycle.advanceTo(WorkerState.RUNNING)).isFalse();
        assertThat(lifecycle.state()).isEqualTo(WorkerState.DRAINING);
        assertThat(lifecycle.claiming()).isFalse();
    }

    @Test
    void movesBackwardsOrSidewaysAreRefused() {
        Lifecycle lifecycle = new Lifecycle();
        assertThat(lifecycle.advanceTo(WorkerState.STARTING)).as("sideways").isFalse();
        lifecycle.advanceTo(WorkerState.RUNNING);
        assertThat(lifecycle.advanceTo(WorkerState.RUNNING)).as("sideways").isFalse();
        lifecycle.advanceTo(WorkerState.STOPPED);
        for (WorkerState earlier : WorkerState.values()) {
            assertThat(lifecycle.advanceTo(earlier)).as("STOPPED -> %s", earlier).isFalse();
        }
        assertThat(lifecycle.state()).isEqualTo(WorkerState.STOPPED);
    }

    @Test
    void aDrainRacingTheStartAlwaysWins() throws Exception {
        for (int round = 0; round < 200; round++) {
            Lifecycle lifecycle = new Lifecycle();
            CyclicBarrier go = new CyclicBarrier(3);
            AtomicInteger drains = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            threads.add(Thread.ofPlatform().start(() -> {
                await(go);
                if (lifecycle.state() == WorkerState.STARTING) { // the check-then-move the fetcher once made
                    lifecycle.advanceTo(WorkerState.RUNNING);
                }
            }));
            for (int i = 0; i < 2; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    await(go);
                    if (lifecycle.advanceTo(WorkerState.DRAINING)) {
                        drains.incrementAndGet();
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(lifecycle.state()).as("round %d", round).isEqualTo(WorkerState.DRAINING);
            assertThat(drains.get()).as("exactly one drain moved it").isEqualTo(1);
        }
    }

    @Test
    void aFatalErrorStopsClaimingAndOnlyTheFirstIsKept() {
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.advanceTo(WorkerState.RUNNING);
        assertThat(lifecycle.claiming()).isTrue();
        OutOfMemoryError first = new OutOfMemoryError("first");
        assertThat(lifecycle.recordFatal(first)).isTrue();
        assertThat(lifecycle.recordFatal(new StackOverflowError("second"))).isFalse();
        assertThat(lifecycle.fatalError()).isSameAs(first);
        assertThat(lifecycle.claiming()).isFalse();
        assertThat(lifecycle.state()).as("the state is the drain's to move").isEqualTo(WorkerState.RUNNING);
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
