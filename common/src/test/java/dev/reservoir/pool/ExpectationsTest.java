package dev.reservoir.pool;

import static dev.reservoir.pool.Workers.CURRENT;
import static dev.reservoir.pool.Workers.draining;
import static dev.reservoir.pool.Workers.ready;
import static dev.reservoir.pool.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpectationsTest {

    private static final long TIMEOUT = 30_000;
    private final Expectations expectations = new Expectations(Duration.ofMillis(TIMEOUT));

    @Test
    void createIsPendingUntilTheWorkerIsObservedInAnyPhase() {
        expectations.expectCreate("p", "x", CURRENT, 0);
        expectations.expectCreate("p", "y", "rev-1", 0);

        Expectations.Pending stale = expectations.observe("p", List.of(), 10);
        assertThat(stale.creates()).containsEntry("x", CURRENT).containsEntry("y", "rev-1").hasSize(2);
        assertThat(stale.satisfied()).isFalse();

        Expectations.Pending half = expectations.observe("p", List.of(worker("x", Phase.PENDING, -1)), 20);
        assertThat(half.creates()).containsOnlyKeys("y");

        Expectations.Pending done = expectations.observe("p", List.of(worker("x", Phase.PENDING, -1), worker("y", Phase.FAILED, 0)), 30);
        assertThat(done.satisfied()).isTrue();
    }

    @Test
    void deleteIsPendingWhileTheWorkerIsStillSeenAlive() {
        expectations.expectDelete("p", "a", 0);
        expectations.expectDelete("p", "b", 0);
        expectations.expectDelete("p", "c", 0);

        Expectations.Pending pending = expectations.observe("p", List.of(
                worker("a", Phase.FAILED, 0), worker("b", Phase.TERMINATING, 0)), 10);
        assertThat(pending.deletes()).as("a still shows as FAILED; b terminating and c gone are satisfied").containsExactly("a");

        assertThat(expectations.observe("p", List.of(), 20).satisfied()).isTrue();
    }

    @Test
    void drainIsPendingUntilTheFlagShowsOrTheWorkerLeaves() {
        for (String name : List.of("a", "b", "c", "d", "e")) {
            expectations.expectDrain("p", name, 0);
        }
        Expectations.Pending pending = expectations.observe("p", List.of(
                ready("a", 2), draining(ready("b", 2)), worker("c", Phase.SUCCEEDED, 0), worker("d", Phase.TERMINATING, 0)), 10);
        assertThat(pending.drains()).containsExactly("a");
    }

    @Test
    void expectationsExpireAfterTheTimeoutSoALostEventCannotWedgeThePool() {
        expectations.expectCreate("p", "lost", CURRENT, 1_000);
        DesiredPool desired = new DesiredPool(1, CURRENT);

        Expectations.Pending justBefore = expectations.observe("p", List.of(), 1_000 + TIMEOUT - 1);
        assertThat(PoolPlanner.plan(desired, List.of(), justBefore).create()).isZero();

        Expectations.Pending expired = expectations.observe("p", List.of(), 1_000 + TIMEOUT);
        assertThat(expired.satisfied()).isTrue();
        assertThat(PoolPlanner.plan(desired, List.of(), expired).create()).as("planned again from what is seen").isEqualTo(1);
    }

    @Test
    void staleObservationDoesNotCreateTwice() {
        DesiredPool desired = new DesiredPool(3, CURRENT);
        Plan first = PoolPlanner.plan(desired, List.of(), expectations.observe("p", List.of(), 0));
        assertThat(first.create()).isEqualTo(3);
        for (int i = 0; i < first.create(); i++) {
            expectations.expectCreate("p", "w" + i, desired.revision(), 0);
        }

        // The cache has not caught up: the same empty observation again.
        List<ObservedWorker> stale = List.of();
        assertThat(PoolPlanner.plan(desired, stale, expectations.observe("p", stale, 1_000)).create()).isZero();
        assertThat(PoolPlanner.plan(desired, stale, Expectations.Pending.NONE).create())
                .as("without expectations the same observation would create 3 more").isEqualTo(3);

        // One of the three shows up, then one fails to be created for good: still nothing until it expires.
        List<ObservedWorker> partial = List.of(worker("w0", Phase.PENDING, -1));
        assertThat(PoolPlanner.plan(desired, partial, expectations.observe("p", partial, 2_000)).create()).isZero();
    }

    @Test
    void poolsAreIndependentAndForgetDropsOne() {
        expectations.expectCreate("p", "x", CURRENT, 0);
        expectations.expectCreate("q", "x", CURRENT, 0);
        assertThat(expectations.observe("p", List.of(worker("x", Phase.PENDING, -1)), 1).satisfied()).isTrue();
        assertThat(expectations.observe("q", List.of(), 1).creates()).containsOnlyKeys("x");

        expectations.forget("q");
        assertThat(expectations.observe("q", List.of(), 2).satisfied()).isTrue();
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> new Expectations(Duration.ZERO)).hasMessageContaining("timeout");
        assertThatThrownBy(() -> expectations.expectCreate("p", " ", CURRENT, 0)).hasMessageContaining("worker name");
    }
}
