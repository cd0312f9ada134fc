package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.reservoir.spec.SettingDefaults;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.autoscaling) || !has(self.autoscaling.minReplicas) || !has(self.replicas)"
        + " || self.replicas >= self.autoscaling.minReplicas || self.replicas == 0",
        message = "replicas must be 0 (paused) or at least autoscaling.minReplicas", reason = "FieldValueInvalid")
/**
 * A WorkerPool's spec. Defaults and bounds are the constants of {@link SettingDefaults}, the one
 * definition the operator, local mode and the worker read; {@code CrdDriftTest} fails the build when
 * the generated schema and that definition differ.
 */
@JsonDeserialize(using = LenientSpecDeserializer.class)
public class WorkerPoolSpec {
    /** What could not be read into the fields above, one problem per field; empty for a spec that read cleanly. */
    @JsonIgnore
    transient List<String> readProblems = List.of();

    @JsonPropertyDescription("Number of worker pods to keep running. Scale with `kubectl scale wp/NAME --replicas=N` or an HPA;"
            + " 0 pauses the pool (workers drain and stop).")
    @SpecReplicas
    @Min(0)
    @Max(SettingDefaults.REPLICAS_MAX)
    @Default(SettingDefaults.REPLICAS)
    public Integer replicas;

    @JsonPropertyDescription("Worker container image (a Reservoir worker with your task handlers), e.g. ghcr.io/acme/thumbs:1.2.0.")
    @Required
    @Pattern("^\\S+$")
    public String image;

    @JsonPropertyDescription("Task-running threads per worker. A worker claims at most threads + prefetch tasks at once.")
    @Min(1)
    @Max(SettingDefaults.THREADS_MAX)
    @Default(SettingDefaults.THREADS)
    public Integer threads;

    @JsonPropertyDescription("platform threads for CPU-bound tasks, virtual threads for tasks that mostly wait on I/O.")
    @Pattern(SettingDefaults.THREAD_MODE_PATTERN)
    @Default(SettingDefaults.THREAD_MODE)
    public String threadMode;

    @JsonPropertyDescription("Most tasks a worker claims beyond its free threads. A worker uses only as much of it as its threads"
            + " would start within about 2 ms at the recent average run time, so a large value batches tiny tasks (fewer, bigger"
            + " claims and writes) without hoarding long ones that idle workers could run; 0 claims only for free threads.")
    @Min(0)
    @Max(SettingDefaults.PREFETCH_MAX)
    @Default(SettingDefaults.PREFETCH)
    public Integer prefetch;

    @JsonPropertyDescription("Each worker's off-heap memory pool of equal-size blocks.")
    @Default("{}")
    public MemoryPoolSpec memoryPool;

    @JsonPropertyDescription("The shared queue: where Redis is, how long claims last and how often a task is tried.")
    @Required
    public QueueSpec queue;

    @JsonPropertyDescription("How submitters route tasks: SharedQueue (every worker reads one stream), RoundRobin or Random (the"
            + " submitter writes to a chosen worker's inbox).")
    @Pattern(SettingDefaults.DISPATCH_PATTERN)
    @Default(SettingDefaults.DISPATCH)
    public String dispatch;

    @JsonPropertyDescription("Recycle a worker after it has claimed this many tasks: it drains, exits and the operator starts a"
            + " fresh pod (bounds leaks in task code). 0 = never.")
    @Min(0)
    @Default(SettingDefaults.MAX_TASKS_PER_WORKER)
    public Long maxTasksPerWorker;

    @JsonPropertyDescription("How long a stopping worker may spend finishing its running tasks before it hands the rest back to the"
            + " queue (a duration: 30s, 2m). The pod's terminationGracePeriodSeconds is this plus a margin.")
    @Pattern(SettingDefaults.DURATION_PATTERN)
    @Default(SettingDefaults.DRAIN_TIMEOUT)
    public String drainTimeout;

    @JsonPropertyDescription("How long a task may run before it is interrupted and its attempt fails with TaskTimeout (a duration:"
            + " 30s, 10m, 1h; 0s = no timeout); a task's own timeout wins. A handler that ignores the interrupt is abandoned after a"
            + " grace of max(5s, taskTimeout/10): its claim goes back with the attempt counted and the worker is replaced.")
    @Pattern(SettingDefaults.DURATION_PATTERN)
    @Default(SettingDefaults.TASK_TIMEOUT)
    public String taskTimeout;

    @JsonPropertyDescription("Let the operator set replicas from the queue: ceil((backlog + inFlight) / targetBacklogPerWorker),"
            + " between minReplicas and maxReplicas (replicas: 0 pauses it). Leave out to scale by hand or with an HPA.")
    public AutoscalingSpec autoscaling;

    @JsonPropertyDescription("Overrides for the worker pods: resources, env, scheduling, labels, annotations, service account.")
    public PodTemplateOverrides template;

    /** Fields of the wrong type or unknown, each naming its path (spec.threads: 'four' is not a whole number: use 1 to 1024). */
    public List<String> readProblems() {
        return readProblems;
    }

    /**
     * Keeps another reading's problems: a copy made by serializing this spec loses them (they are not
     * fields of the resource), so whoever copies a spec that way carries them over.
     */
    public void keepReadProblemsOf(WorkerPoolSpec original) {
        this.readProblems = original.readProblems;
    }
}
