package dev.reservoir.operator.status;

import dev.reservoir.api.v1alpha1.WorkerPoolStatus;
import dev.reservoir.operator.model.PoolLabels;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The status of a pool as a pure function of what one reconcile observed and the previous status.
 * The reconciler ({@code reconciler.StatusWriter}) writes the result only when it differs from the
 * stored status, so a pool at rest costs no writes. Conditions keep their lastTransitionTime while their status stays the same.
 */
public final class StatusAggregator {
    public static final String AVAILABLE = "Available";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";

    private StatusAggregator() {
    }

    public static WorkerPoolStatus aggregate(StatusInputs in, WorkerPoolStatus previous, Instant now) {
        WorkerPoolStatus prev = previous == null ? new WorkerPoolStatus() : previous;
        WorkerPoolStatus s = new WorkerPoolStatus();
        s.replicas = in.replicas();
        s.readyReplicas = in.readyReplicas();
        s.updatedReplicas = in.updatedReplicas();
        s.observedGeneration = in.generation();
        s.selector = PoolLabels.selectorString(in.poolName());
        QueueSnapshot q = in.queue();
        if (q != null) {
            s.busyWorkers = q.busyWorkers();
            s.backlog = q.backlog();
            s.inFlight = q.inFlight();
            s.completed = q.completed();
            s.failed = q.failed();
            s.deadLettered = q.deadLettered();
        } else {
            // Redis unreadable: keep the last figures we saw (Degraded says why they are stale).
            s.busyWorkers = prev.busyWorkers;
            s.backlog = prev.backlog;
            s.inFlight = prev.inFlight;
            s.completed = prev.completed;
            s.failed = prev.failed;
            s.deadLettered = prev.deadLettered;
        }
        String rfc3339 = now.truncatedTo(ChronoUnit.SECONDS).toString();
        List<Condition> conditions = new ArrayList<>();
        boolean available = in.readyReplicas() >= in.desiredReplicas();
        conditions.add(condition(prev, AVAILABLE, available,
                in.desiredReplicas() == 0 ? "ScaledToZero" : available ? "WorkersReady" : "WorkersNotReady",
                in.readyReplicas() + " of " + in.desiredReplicas() + " workers ready", in.generation(), rfc3339));
        StatusInputs.Progress p = in.progressing();
        conditions.add(condition(prev, PROGRESSING, p != null, p != null ? p.reason() : "Stable",
                p != null ? p.message() : in.replicas() + " workers on the current template", in.generation(), rfc3339));
        boolean degraded = !in.problems().isEmpty();
        conditions.add(condition(prev, DEGRADED, degraded,
                degraded ? in.problems().getFirst().reason() : "AsExpected",
                degraded ? in.problems().stream().map(Problem::message).collect(Collectors.joining("; ")) : "no problems observed",
                in.generation(), rfc3339));
        s.conditions = conditions;
        return s;
    }

    private static Condition condition(WorkerPoolStatus prev, String type, boolean status, String reason, String message,
                                       long generation, String now) {
        String statusText = status ? "True" : "False";
        String since = now;
        if (prev.conditions != null) {
            for (Condition c : prev.conditions) {
                if (type.equals(c.getType()) && statusText.equals(c.getStatus()) && c.getLastTransitionTime() != null) {
                    since = c.getLastTransitionTime();
                }
            }
        }
        return new ConditionBuilder().withType(type).withStatus(statusText).withReason(reason).withMessage(message)
                .withObservedGeneration(generation).withLastTransitionTime(since).build();
    }

    /** The condition of a type, or null. */
    public static Condition find(WorkerPoolStatus status, String type) {
        if (status == null || status.conditions == null) {
            return null;
        }
        return status.conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }
}
