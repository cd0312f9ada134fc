package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.operator.status.ProgressReason;
import dev.reservoir.pool.DesiredPool;
import dev.reservoir.pool.Expectations;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Phase;
import dev.reservoir.pool.Plan;
import dev.reservoir.pool.PoolPlanner;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Progressing reason comes from what the plan does and what was observed, for plans the real
 * planner makes, and never from the planner's phrase: a reworded phrase gives the same reason.
 */
class ProgressReasonTest {
    static final String NEW = "rev-new";
    static final String OLD = "rev-old";

    static ObservedWorker worker(String name, String revision, Phase phase) {
        return new ObservedWorker(name, revision, phase, false, phase == Phase.READY ? 0 : ObservedWorker.UNKNOWN_IN_FLIGHT, 1);
    }

    static ObservedWorker draining(String name, Phase phase) {
        return new ObservedWorker(name, NEW, phase, true, ObservedWorker.UNKNOWN_IN_FLIGHT, 1);
    }

    /** The planner's plan for these workers, and the reason for it. */
    static String reasonFor(int replicas, Expectations.Pending pending, ObservedWorker... observed) {
        Plan plan = PoolPlanner.plan(new DesiredPool(replicas, NEW), List.of(observed), pending);
        assertThat(plan.progressing()).as("a pool in motion: " + plan).isTrue();
        return ProgressReason.of(plan, List.of(observed), pending, NEW);
    }

    static String reasonFor(int replicas, ObservedWorker... observed) {
        return reasonFor(replicas, Expectations.Pending.NONE, observed);
    }

    @Test
    void reasonsForWhatThePlannerDoes() {
        assertThat(reasonFor(3, worker("a", NEW, Phase.READY))).isEqualTo("ScalingUp");
        assertThat(reasonFor(1, worker("a", NEW, Phase.READY), worker("b", NEW, Phase.READY), worker("c", NEW, Phase.READY)))
                .isEqualTo("ScalingDown");
        // A scale-down victim that never started is deleted rather than drained: still scaling down.
        assertThat(reasonFor(2, worker("a", NEW, Phase.READY), worker("b", NEW, Phase.READY), worker("c", NEW, Phase.PENDING)))
                .isEqualTo("ScalingDown");
        // A surge pod is created during a roll: rolling, not scaling up.
        assertThat(reasonFor(2, worker("a", OLD, Phase.READY), worker("b", OLD, Phase.READY))).isEqualTo("Rolling");
        assertThat(reasonFor(3, worker("a", NEW, Phase.READY), worker("b", NEW, Phase.READY), worker("c", NEW, Phase.FAILED)))
                .isEqualTo("ReplacingWorkers");
        // Exited workers outrank a roll, as in the planner.
        assertThat(reasonFor(2, worker("a", OLD, Phase.READY), worker("b", NEW, Phase.SUCCEEDED))).isEqualTo("ReplacingWorkers");
        // A drained worker that never started is deleted: nothing scales.
        assertThat(reasonFor(2, worker("a", NEW, Phase.READY), worker("b", NEW, Phase.READY), draining("c", Phase.PENDING)))
                .isEqualTo("ReplacingWorkers");
        assertThat(reasonFor(2, worker("a", NEW, Phase.STARTING), worker("b", NEW, Phase.STARTING))).isEqualTo("WaitingForWorkers");
        assertThat(reasonFor(2, worker("a", NEW, Phase.READY), worker("b", NEW, Phase.READY), draining("c", Phase.READY)))
                .isEqualTo("WaitingForWorkers");
    }

    @Test
    void expectationsCountAsTheyDoForThePlanner() {
        // A pod created from the old revision, not in the cache yet: the roll goes on.
        var creates = new TreeMap<String, String>();
        creates.put("z", OLD);
        Expectations.Pending pending = new Expectations.Pending(creates, new TreeSet<>(), new TreeSet<>());
        assertThat(reasonFor(2, pending, worker("a", NEW, Phase.READY), worker("b", NEW, Phase.READY))).isEqualTo("Rolling");
        // An outdated worker whose drain is pending is on its way out: nothing old is left live.
        var drains = new TreeSet<String>();
        drains.add("b");
        pending = new Expectations.Pending(new TreeMap<>(), new TreeSet<>(), drains);
        assertThat(reasonFor(1, pending, worker("a", NEW, Phase.READY), worker("b", OLD, Phase.READY))).isEqualTo("WaitingForWorkers");
    }

    @Test
    void theReasonDoesNotDependOnThePlannersWording() {
        List<ObservedWorker> observed = List.of(worker("a", NEW, Phase.READY), worker("b", NEW, Phase.READY));
        Plan up = new Plan(2, List.of(), List.of(), List.of(), true, "starting 2 more workers");
        Plan down = new Plan(0, List.of("b"), List.of(), List.of(), true, "retiring worker b");
        Plan exited = new Plan(0, List.of(), List.of("b"), List.of("b"), true, "worker b crashed; a new one follows");
        assertThat(ProgressReason.of(up, observed, Expectations.Pending.NONE, NEW)).isEqualTo("ScalingUp");
        assertThat(ProgressReason.of(down, observed, Expectations.Pending.NONE, NEW)).isEqualTo("ScalingDown");
        assertThat(ProgressReason.of(exited, observed, Expectations.Pending.NONE, NEW)).isEqualTo("ReplacingWorkers");
    }
}
