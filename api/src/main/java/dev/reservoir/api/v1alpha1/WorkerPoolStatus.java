package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Observed state, computed by {@code dev.reservoir.operator.status.StatusAggregator} and written only when it changed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonDeserialize(using = LenientStatusDeserializer.class)
public class WorkerPoolStatus {
    @JsonPropertyDescription("Worker pods that exist and are not terminating.")
    @StatusReplicas
    public Integer replicas = 0;

    @JsonPropertyDescription("Worker pods whose worker is consuming (readiness probe passing).")
    public Integer readyReplicas = 0;

    @JsonPropertyDescription("Worker pods built from the current pod template.")
    public Integer updatedReplicas = 0;

    @JsonPropertyDescription("Workers running at least one task, by their heartbeats in Redis.")
    public Integer busyWorkers = 0;

    @JsonPropertyDescription("Tasks queued and not yet claimed by any worker.")
    public Long backlog = 0L;

    @JsonPropertyDescription("Tasks claimed by workers and not yet finished.")
    public Long inFlight = 0L;

    @JsonPropertyDescription("Tasks completed since the pool's queue was created.")
    public Long completed = 0L;

    @JsonPropertyDescription("Task attempts that failed (a failed task may be retried).")
    public Long failed = 0L;

    @JsonPropertyDescription("Tasks moved to the dead-letter stream after maxAttempts.")
    public Long deadLettered = 0L;

    @JsonPropertyDescription("The metadata.generation this status describes.")
    public Long observedGeneration;

    @JsonPropertyDescription("Label selector of the worker pods (for the scale subresource and HPAs).")
    @LabelSelector
    public String selector;

    @JsonPropertyDescription("Available: enough ready workers; Progressing: creating, rolling or draining pods; Degraded: something"
            + " the operator cannot fix by itself (the reason and message name it).")
    public List<Condition> conditions = new ArrayList<>();

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof WorkerPoolStatus s)) {
            return false;
        }
        return Objects.equals(replicas, s.replicas) && Objects.equals(readyReplicas, s.readyReplicas)
                && Objects.equals(updatedReplicas, s.updatedReplicas) && Objects.equals(busyWorkers, s.busyWorkers)
                && Objects.equals(backlog, s.backlog) && Objects.equals(inFlight, s.inFlight) && Objects.equals(completed, s.completed)
                && Objects.equals(failed, s.failed) && Objects.equals(deadLettered, s.deadLettered)
                && Objects.equals(observedGeneration, s.observedGeneration) && Objects.equals(selector, s.selector)
                && Objects.equals(conditions, s.conditions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(replicas, readyReplicas, updatedReplicas, busyWorkers, backlog, inFlight, completed, observedGeneration,
                selector);
    }
}
