package dev.reservoir.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Plans over successive passes, carried out on a simulated world, with an up-to-date or a stale cache. */
class ReconcileSimulationTest {

    private static final Duration EXPECTATION_TIMEOUT = Duration.ofSeconds(30);
    /** A pool this small converges in a few dozen passes; more means the planner is stuck or oscillating. */
    private static final int MAX_PASSES = 60;

    /** Run passes until the planner says the pool is settled; {@code check} runs after each pass. */
    private static int converge(SimulatedPool sim, DesiredPool desired, int load, Runnable check) {
        for (int pass = 1; pass <= MAX_PASSES; pass++) {
            Plan plan = sim.pass(desired);
            check.run();
            if (!plan.progressing()) {
                return pass;
            }
            sim.tick(load);
        }
        throw new AssertionError("not settled after " + MAX_PASSES + " passes; last plans " + lastPlans(sim) + "\n" + sim);
    }

    private static List<Plan> lastPlans(SimulatedPool sim) {
        return sim.plans.subList(Math.max(0, sim.plans.size() - 4), sim.plans.size());
    }

    @ParameterizedTest(name = "cache lag {0} ticks")
    @ValueSource(ints = {0, 1, 2})
    void rollingUpdateWithSurgeOneUnavailableZeroReplacesOneAtATime(int lag) {
        SimulatedPool sim = new SimulatedPool(lag, EXPECTATION_TIMEOUT).seed(3, "v1", 2);
        for (int i = 0; i <= lag; i++) {
            sim.tick(2); // let the cache catch up with the seeded world before the spec changes
        }
        DesiredPool desired = new DesiredPool(3, "v2", 1, 0);
        List<Long> updatedReady = new ArrayList<>();

        converge(sim, desired, 2, () -> {
            assertThat(sim.live()).as("live ≤ replicas + maxSurge\n%s", sim).isLessThanOrEqualTo(4);
            assertThat(sim.readyServing()).as("READY ≥ replicas − maxUnavailable\n%s", sim).isGreaterThanOrEqualTo(3);
            Plan plan = sim.plans.getLast();
            assertThat(plan.create()).as("one new worker at a time").isLessThanOrEqualTo(1);
            assertThat(plan.drain()).as("one old worker at a time").hasSizeLessThanOrEqualTo(1);
            updatedReady.add(sim.readyServing("v2"));
        });

        assertThat(sim.world.values()).as("settled: 3 READY workers, all updated").hasSize(3)
                .allSatisfy(w -> {
                    assertThat(w.revision()).isEqualTo("v2");
                    assertThat(w.phase()).isEqualTo(Phase.READY);
                    assertThat(w.draining()).isFalse();
                });
        assertThat(sim.created).as("3 seeded + exactly 3 replacements").isEqualTo(6);
        assertThat(sim.plans.stream().filter(p -> !p.drain().isEmpty()).count()).as("passes that drained").isEqualTo(3);
        assertThat(updatedReady).as("updated READY workers never go back").isSorted();
        assertThat(sim.plans.getLast().reason()).isEqualTo("all 3 workers ready");
    }

    @ParameterizedTest(name = "cache lag {0} ticks")
    @ValueSource(ints = {0, 1, 3})
    void staleCacheNeverCreatesTwice(int lag) {
        SimulatedPool sim = new SimulatedPool(lag, EXPECTATION_TIMEOUT);
        DesiredPool desired = new DesiredPool(4, "v1");

        converge(sim, desired, 0, () -> assertThat(sim.created).as("created so far\n%s", sim).isLessThanOrEqualTo(4));

        assertThat(sim.created).isEqualTo(4);
        assertThat(sim.readyServing("v1")).isEqualTo(4);
    }

    @Test
    void failedWorkerIsDeletedAndReclaimedThenReplacedOnTheNextPass() {
        SimulatedPool sim = new SimulatedPool(0, EXPECTATION_TIMEOUT).seed(3, "v1", 1);
        sim.tick(1);
        DesiredPool desired = new DesiredPool(3, "v1");
        assertThat(sim.pass(desired).progressing()).isFalse();

        sim.fail("w1");
        Plan afterFailure = sim.pass(desired);
        assertThat(afterFailure.delete()).containsExactly("w1");
        assertThat(afterFailure.reclaim()).containsExactly("w1");
        assertThat(afterFailure.create()).as("no replacement in the pass that deletes").isZero();
        assertThat(afterFailure.reason()).isEqualTo("replacing 1 failed worker");

        sim.tick(1);
        Plan next = sim.pass(desired);
        assertThat(next.create()).isEqualTo(1);
        assertThat(next.delete()).isEmpty();

        sim.tick(1);
        converge(sim, desired, 1, () -> assertThat(sim.live()).isLessThanOrEqualTo(3));
        assertThat(sim.readyServing("v1")).isEqualTo(3);
        assertThat(sim.created).isEqualTo(4);
    }

    @ParameterizedTest(name = "cache lag {0} ticks")
    @ValueSource(ints = {0, 2})
    void scaleDownOfBusyWorkersDrainsThemAndDeletesOnlyAfterTheyExit(int lag) {
        SimulatedPool sim = new SimulatedPool(lag, EXPECTATION_TIMEOUT).seed(5, "v1", 3);
        for (int i = 0; i <= lag; i++) {
            sim.tick(3);
        }
        DesiredPool desired = new DesiredPool(2, "v1");

        converge(sim, desired, 3, () -> {
            assertThat(sim.live()).as("never below the new size\n%s", sim).isGreaterThanOrEqualTo(2);
            assertThat(sim.plans.getLast().create()).as("scale down creates nothing").isZero();
        });

        assertThat(sim.world.values()).hasSize(2).allSatisfy(w -> assertThat(w.phase()).isEqualTo(Phase.READY));
        assertThat(sim.deleted).as("the 3 drained workers, once exited").isEqualTo(3);
        assertThat(sim.plans.stream().mapToInt(p -> p.drain().size()).sum()).as("drained exactly once each").isEqualTo(3);
    }
}
