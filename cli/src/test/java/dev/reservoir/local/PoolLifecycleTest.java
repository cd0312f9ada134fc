package dev.reservoir.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.local.LocalPool.State;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The local pool's state only moves forward, and every transition wakes its waiters. */
class PoolLifecycleTest {

    @Test
    void movesForwardOnly() {
        PoolLifecycle life = new PoolLifecycle();
        assertThat(life.state()).isEqualTo(State.STARTING);
        assertThat(life.active()).isTrue();
        assertThat(life.advance(State.STARTING, State.RUNNING)).isTrue();
        assertThat(life.advance(State.STARTING, State.RUNNING)).as("already RUNNING").isFalse();
        assertThat(life.advance(State.RUNNING, State.STARTING)).as("backwards").isFalse();
        assertThat(life.beginStopping()).isTrue();
        assertThat(life.active()).isFalse();
        assertThat(life.beginStopping()).as("a second stop does not stop again").isFalse();
        assertThat(life.advance(State.STOPPING, State.RUNNING)).isFalse();
        life.stopped();
        assertThat(life.state()).isEqualTo(State.STOPPED);
        assertThat(life.beginStopping()).isFalse();
    }

    @Test
    void stopsBeforeEverBeingReady() {
        PoolLifecycle life = new PoolLifecycle();
        assertThat(life.beginStopping()).isTrue();
        assertThat(life.advance(State.STARTING, State.RUNNING)).as("a late readiness does not revive it").isFalse();
        assertThat(life.state()).isEqualTo(State.STOPPING);
    }

    @Test
    void waitersWakeOnTheTransition() throws Exception {
        PoolLifecycle life = new PoolLifecycle();
        CompletableFuture<State> left = CompletableFuture.supplyAsync(() -> {
            try {
                return life.awaitLeaving(State.STARTING, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
            try {
                life.awaitStopped();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(left).isNotDone();
        life.advance(State.STARTING, State.RUNNING);
        assertThat(left.get(10, TimeUnit.SECONDS)).isEqualTo(State.RUNNING);
        life.beginStopping();
        assertThat(stopped).isNotDone();
        life.stopped();
        stopped.get(10, TimeUnit.SECONDS);
        assertThat(life.awaitLeaving(State.STARTING, System.nanoTime())).as("a deadline in the past returns at once").isEqualTo(State.STOPPED);
    }

    @Test
    void keepsTheFirstFailure() {
        PoolLifecycle life = new PoolLifecycle();
        LocalPoolException first = new LocalPoolException("first");
        life.recordFailure(first);
        life.recordFailure(new LocalPoolException("second"));
        assertThat(life.failure()).isSameAs(first);
    }
}
