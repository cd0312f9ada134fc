package dev.reservoir.pool;

import static dev.reservoir.pool.Workers.CURRENT;
import static dev.reservoir.pool.Workers.createdAt;
import static dev.reservoir.pool.Workers.draining;
import static dev.reservoir.pool.Workers.outdated;
import static dev.reservoir.pool.Workers.ready;
import static dev.reservoir.pool.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Table-driven: observed workers × desired spec (× what is still in flight) → plan. */
class PoolPlannerTest {

    /** One row: what was observed and asked for, and the whole plan expected back. */
    record Case(String name, DesiredPool desired, List<ObservedWorker> observed, Expectations.Pending pending,
                int create, List<String> drain, List<String> delete, List<String> reclaim, boolean progressing, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case row(String name, DesiredPool desired, List<ObservedWorker> observed,
                            int create, List<String> drain, List<String> delete, List<String> reclaim,
                            boolean progressing, String reason) {
        return new Case(name, desired, observed, Expectations.Pending.NONE, create, drain, delete, reclaim, progressing, reason);
    }

    private static DesiredPool pool(int replicas) {
        return new DesiredPool(replicas, CURRENT);
    }

    private static Expectations.Pending pending(Map<String, String> creates, Set<String> deletes, Set<String> drains) {
        return new Expectations.Pending(new TreeMap<>(creates), new TreeSet<>(deletes), new TreeSet<>(drains));
    }

    static Stream<Case> cases() {
        List<String> none = List.of();
        return Stream.of(
                row("empty pool → create all", pool(3), List.of(),
                        3, none, none, none, true, "scaling up 0 → 3"),
                row("steady state → nothing to do", pool(3), List.of(ready("a", 0), ready("b", 4), ready("c", -1)),
                        0, none, none, none, false, "all 3 workers ready"),
                row("replicas 0, nothing observed → steady", pool(0), List.of(),
                        0, none, none, none, false, "scaled to 0"),
                row("one starting → wait, no create", pool(2), List.of(ready("a", 0), worker("b", Phase.STARTING, -1)),
                        0, none, none, none, true, "waiting for 1 worker to become ready"),
                row("failed → delete + reclaim, no replacement in the same pass", pool(3),
                        List.of(ready("a", 1), worker("b", Phase.FAILED, -1), ready("c", 0)),
                        0, none, List.of("b"), List.of("b"), true, "replacing 1 failed worker"),
                row("recycled and failed → both deleted, still no create", pool(3),
                        List.of(worker("a", Phase.SUCCEEDED, 0), worker("b", Phase.FAILED, 2), ready("c", 0)),
                        0, none, List.of("a", "b"), List.of("a", "b"), true, "replacing 1 failed worker, replacing 1 recycled worker"),
                row("drained worker exited after scale down → deleted, nothing created", pool(2),
                        List.of(ready("a", 0), ready("b", 0), draining(worker("c", Phase.SUCCEEDED, 0))),
                        0, none, List.of("c"), List.of("c"), true, "removing 1 drained worker"),
                row("failed while scaling up → still only delete", pool(5), List.of(worker("a", Phase.FAILED, 0)),
                        0, none, List.of("a"), List.of("a"), true, "replacing 1 failed worker"),
                row("scale down mix → not ready first, then idle; busy and unknown kept", pool(3),
                        List.of(ready("a", 3), createdAt(ready("b", 0), 2_000), ready("c", -1),
                                worker("d", Phase.STARTING, -1), createdAt(ready("e", 0), 500), ready("f", 1)),
                        0, List.of("b", "d", "e"), none, none, true, "scaling down 6 → 3"),
                row("scale down past the idle ones → least busy next, never unknown first", pool(2),
                        List.of(ready("a", 3), ready("b", 0), ready("c", -1),
                                worker("d", Phase.STARTING, -1), ready("e", 0), ready("f", 1)),
                        0, List.of("b", "d", "e", "f"), none, none, true, "scaling down 6 → 2"),
                row("scale down, all busy → drain the least busy, delete none", pool(1),
                        List.of(ready("a", 5), ready("b", 2), ready("c", -1)),
                        0, List.of("a", "b"), none, none, true, "scaling down 3 → 1"),
                row("scale down among idle → outdated revision first, even if it is the oldest",
                        new DesiredPool(1, CURRENT, 0, 1),
                        List.of(createdAt(ready("a", 0), 300), createdAt(outdated(ready("b", 0)), 100), createdAt(ready("c", 0), 200)),
                        0, List.of("a", "b"), none, none, true, "rolling 1/1 updated"),
                row("scale down an idle pool → newest first (older JVMs are warmer)", pool(1),
                        List.of(createdAt(ready("a", 0), 100), createdAt(ready("b", 0), 300), createdAt(ready("c", 0), 200)),
                        0, List.of("b", "c"), none, none, true, "scaling down 3 → 1"),
                row("scale down a never-started worker → delete it (no process to drain)", pool(1),
                        List.of(ready("a", 0), worker("b", Phase.PENDING, -1)),
                        0, none, List.of("b"), none, true, "scaling down 2 → 1"),
                row("replicas 0 → drain the running, delete the never-started", pool(0),
                        List.of(ready("a", 0), ready("b", 7), worker("c", Phase.PENDING, -1)),
                        0, List.of("a", "b"), List.of("c"), none, true, "scaling down 3 → 0"),
                row("replicas 0 while they drain → nothing more, still progressing", pool(0),
                        List.of(draining(ready("a", 1)), draining(ready("b", 0))),
                        0, none, none, none, true, "waiting for 2 workers to drain and exit"),
                row("draining workers do not count → replace their capacity", pool(3),
                        List.of(ready("a", 0), ready("b", 0), draining(ready("c", 9))),
                        1, none, none, none, true, "scaling up 2 → 3"),
                row("draining workers do not count → no second victim", pool(2),
                        List.of(ready("a", 0), ready("b", 0), draining(ready("c", 0))),
                        0, none, none, none, true, "waiting for 1 worker to drain and exit"),
                row("draining worker that never started → deleted", pool(1),
                        List.of(ready("a", 0), draining(worker("b", Phase.PENDING, -1))),
                        0, none, List.of("b"), none, true, "deleting 1 drained worker that never started"),
                row("terminating workers do not count", pool(2),
                        List.of(ready("a", 0), worker("b", Phase.TERMINATING, 0)),
                        1, none, none, none, true, "scaling up 1 → 2"),
                new Case("pending creates count as live", pool(3), List.of(ready("a", 0)),
                        pending(Map.of("x", CURRENT), Set.of(), Set.of()),
                        1, none, none, none, true, "scaling up 1 → 3"),
                new Case("pending creates cover the gap → create nothing", pool(3), List.of(ready("a", 0)),
                        pending(Map.of("x", CURRENT, "y", CURRENT), Set.of(), Set.of()),
                        0, none, none, none, true, "waiting for 2 changes to be observed"),
                new Case("pending create already observed → counted once", pool(2), List.of(ready("a", 0), worker("x", Phase.PENDING, -1)),
                        pending(Map.of("x", CURRENT), Set.of(), Set.of()),
                        0, none, none, none, true, "waiting for 1 worker to become ready"),
                new Case("stale failed worker already deleted → not deleted twice, replacement now", pool(2),
                        List.of(ready("a", 0), worker("b", Phase.FAILED, 0)),
                        pending(Map.of(), Set.of("b"), Set.of()),
                        1, none, none, none, true, "scaling up 1 → 2"),
                new Case("stale drain (flag not visible yet) → no second victim", pool(1),
                        List.of(ready("a", 0), ready("b", 0)),
                        pending(Map.of(), Set.of(), Set.of("b")),
                        0, none, none, none, true, "waiting for 1 worker to drain and exit"),
                row("rolling, surge 1 → create one updated first, drain nothing", pool(3),
                        List.of(outdated(ready("a", 0)), outdated(ready("b", 0)), outdated(ready("c", 0))),
                        1, none, none, none, true, "rolling 0/3 updated"),
                row("rolling, surge worker not ready yet → wait", pool(3),
                        List.of(outdated(ready("a", 0)), outdated(ready("b", 0)), outdated(ready("c", 0)),
                                worker("d", Phase.STARTING, -1)),
                        0, none, none, none, true, "rolling 0/3 updated"),
                row("rolling, surge worker ready → drain one outdated (idle first) and create the next", pool(3),
                        List.of(outdated(ready("a", 2)), outdated(ready("b", 0)), outdated(ready("c", -1)), ready("d", 0)),
                        1, List.of("b"), none, none, true, "rolling 1/3 updated"),
                row("rolling, last outdated → drained, nothing created", pool(3),
                        List.of(outdated(ready("a", 5)), ready("b", 0), ready("c", 0), ready("d", 0)),
                        0, List.of("a"), none, none, true, "rolling 3/3 updated"),
                row("rolling, maxUnavailable 1, surge 0 → drain one and replace it in the same pass",
                        new DesiredPool(3, CURRENT, 0, 1),
                        List.of(outdated(ready("a", 1)), outdated(ready("b", 0)), outdated(ready("c", 1))),
                        1, List.of("b"), none, none, true, "rolling 0/3 updated"),
                row("rolling → not-ready outdated workers drained at once (they serve nothing)", pool(2),
                        List.of(outdated(worker("a", Phase.STARTING, -1)), outdated(worker("b", Phase.PENDING, -1)),
                                outdated(ready("c", 0))),
                        2, List.of("a"), List.of("b"), none, true, "rolling 0/2 updated"),
                row("rolling while scaling down 4 → 2 → excess beyond surge first, then one more within availability", pool(2),
                        List.of(outdated(ready("a", 0)), outdated(ready("b", 3)), outdated(ready("c", 1)), outdated(ready("d", 2))),
                        1, List.of("a", "c"), none, none, true, "rolling 0/2 updated"),
                row("rolling to replicas 0 → all outdated drained", pool(0),
                        List.of(outdated(ready("a", 0)), outdated(ready("b", 3))),
                        0, List.of("a", "b"), none, none, true, "rolling 0/0 updated"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void plans(Case c) {
        Plan plan = PoolPlanner.plan(c.desired(), c.observed(), c.pending());

        assertThat(plan.create()).as("create").isEqualTo(c.create());
        assertThat(plan.drain()).as("drain").containsExactlyElementsOf(c.drain());
        assertThat(plan.delete()).as("delete").containsExactlyElementsOf(c.delete());
        assertThat(plan.reclaim()).as("reclaim").containsExactlyElementsOf(c.reclaim());
        assertThat(plan.progressing()).as("progressing").isEqualTo(c.progressing());
        assertThat(plan.reason()).as("reason").isEqualTo(c.reason());
        assertNeverDeletesARunningProcess(c.observed(), plan);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameInputInAnyOrderGivesTheSamePlan(Case c) {
        List<ObservedWorker> reversed = new ArrayList<>(c.observed());
        Collections.reverse(reversed);
        assertThat(PoolPlanner.plan(c.desired(), reversed, c.pending()))
                .isEqualTo(PoolPlanner.plan(c.desired(), c.observed(), c.pending()));
    }

    @Test
    void scaleDownNeverDrainsABusyWorkerWhileAnIdleOneIsLeft() {
        // Every split of 6 workers into idle / busy / unknown, scaled down to every size.
        for (int idle = 0; idle <= 6; idle++) {
            for (int busy = 0; idle + busy <= 6; busy++) {
                List<ObservedWorker> observed = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    int inFlight = i < idle ? 0 : i < idle + busy ? i + 1 : ObservedWorker.UNKNOWN_IN_FLIGHT;
                    observed.add(ready("w" + i, inFlight));
                }
                for (int replicas = 0; replicas <= 6; replicas++) {
                    Plan plan = PoolPlanner.plan(pool(replicas), observed, Expectations.Pending.NONE);
                    int excess = 6 - replicas;
                    assertThat(plan.drain()).as("idle=%d busy=%d replicas=%d", idle, busy, replicas).hasSize(excess);
                    assertThat(plan.delete()).isEmpty();
                    long idleDrained = observed.stream().filter(w -> w.inFlight() == 0 && plan.drain().contains(w.name())).count();
                    assertThat(idleDrained).as("idle drained, idle=%d replicas=%d", idle, replicas).isEqualTo(Math.min(idle, excess));
                }
            }
        }
    }

    @Test
    void badInputIsRejectedNamingTheField() {
        assertThatThrownBy(() -> new DesiredPool(-1, CURRENT)).hasMessageContaining("replicas");
        assertThatThrownBy(() -> new DesiredPool(1, " ")).hasMessageContaining("revision");
        assertThatThrownBy(() -> new DesiredPool(1, CURRENT, -1, 1)).hasMessageContaining("maxSurge");
        assertThatThrownBy(() -> new DesiredPool(1, CURRENT, 1, -1)).hasMessageContaining("maxUnavailable");
        assertThatThrownBy(() -> new DesiredPool(1, CURRENT, 0, 0)).hasMessageContaining("maxSurge and maxUnavailable");
        assertThatThrownBy(() -> new ObservedWorker("a", CURRENT, Phase.READY, false, -2, 0)).hasMessageContaining("inFlight");
        assertThatThrownBy(() -> new ObservedWorker("", CURRENT, Phase.READY, false, 0, 0)).hasMessageContaining("name");
        assertThatThrownBy(() -> PoolPlanner.plan(pool(2), List.of(ready("a", 0), ready("a", 1)), Expectations.Pending.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a' appears twice");
    }

    /** Deleting a worker whose process may run would lose or duplicate its tasks: only exited or never-started ones. */
    static void assertNeverDeletesARunningProcess(List<ObservedWorker> observed, Plan plan) {
        for (ObservedWorker worker : observed) {
            if (plan.delete().contains(worker.name())) {
                assertThat(worker.phase()).as("deleted worker %s", worker.name())
                        .isIn(Phase.PENDING, Phase.SUCCEEDED, Phase.FAILED);
            }
        }
    }
}
