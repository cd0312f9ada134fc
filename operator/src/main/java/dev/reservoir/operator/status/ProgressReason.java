package dev.reservoir.operator.status;

import dev.reservoir.pool.Expectations;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Phase;
import dev.reservoir.pool.Plan;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Progressing condition's reason, a CamelCase word that tools and alerts match on, derived from
 * structured data only: what the plan does (its create count and its drain, delete and reclaim lists)
 * and what was observed. Never from the planner's English phrase ({@link Plan#reason()}), which is for
 * people and may be reworded at any time; the phrase stays the condition's message.
 *
 * <p>The most significant thing going on wins, in the planner's own order of significance:
 * <ol>
 *   <li>{@link #REPLACING_WORKERS}: exited workers are deleted now (their claims reclaimed) to be replaced;</li>
 *   <li>{@link #ROLLING}: live workers, or pods being created, are on an older revision;</li>
 *   <li>{@link #SCALING_UP}: pods are created;</li>
 *   <li>{@link #SCALING_DOWN}: live workers are drained or, never started, deleted;</li>
 *   <li>{@link #REPLACING_WORKERS}: drained workers that never started are deleted;</li>
 *   <li>{@link #WAITING_FOR_WORKERS}: nothing to do but wait (drains, readiness, changes not yet seen).</li>
 * </ol>
 */
public final class ProgressReason {
    public static final String ROLLING = "Rolling";
    public static final String SCALING_UP = "ScalingUp";
    public static final String SCALING_DOWN = "ScalingDown";
    public static final String REPLACING_WORKERS = "ReplacingWorkers";
    public static final String WAITING_FOR_WORKERS = "WaitingForWorkers";

    private ProgressReason() {
    }

    /**
     * @param plan     the planner's plan for this pass (as the planner made it)
     * @param observed the workers the plan was made from
     * @param pending  the expectations the plan was made with
     * @param revision the desired revision
     */
    public static String of(Plan plan, List<ObservedWorker> observed, Expectations.Pending pending, String revision) {
        if (!plan.reclaim().isEmpty()) {
            return REPLACING_WORKERS; // the planner reclaims exactly the exited workers it deletes
        }
        Set<String> names = new HashSet<>();
        Set<String> alreadyDraining = new HashSet<>();
        boolean outdated = false;
        for (ObservedWorker w : observed) {
            names.add(w.name());
            boolean goingAway = w.phase().exited() || w.phase() == Phase.TERMINATING || pending.deletes().contains(w.name());
            boolean draining = w.draining() || pending.drains().contains(w.name());
            if (!goingAway && draining) {
                alreadyDraining.add(w.name());
            }
            outdated |= !goingAway && !draining && !w.revision().equals(revision);
        }
        for (Map.Entry<String, String> create : pending.creates().entrySet()) {
            outdated |= !names.contains(create.getKey()) && !create.getValue().equals(revision);
        }
        if (outdated) {
            return ROLLING;
        }
        if (plan.create() > 0) {
            return SCALING_UP;
        }
        if (!plan.drain().isEmpty() || plan.delete().stream().anyMatch(n -> !alreadyDraining.contains(n))) {
            return SCALING_DOWN;
        }
        if (!plan.delete().isEmpty()) {
            return REPLACING_WORKERS;
        }
        return WAITING_FOR_WORKERS;
    }
}
