package dev.reservoir.operator.reconciler;

import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.operator.model.WorkerPodFactory;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Phase;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.WorkerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.List;

/**
 * Maps a worker pod (and its heartbeat, when Redis answered) onto the planner's
 * {@link ObservedWorker}, following the phase table of docs/pool-keeping.md exactly. Pure.
 */
public final class ObservedPod {
    /** Container waiting reasons that mean the image cannot be pulled: the pod will not start by itself. */
    static final List<String> IMAGE_PULL_REASONS = List.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");

    private ObservedPod() {
    }

    public static ObservedWorker toWorker(Pod pod, Heartbeat heartbeat, boolean queueKnown) {
        var annotations = pod.getMetadata().getAnnotations();
        boolean draining = (annotations != null && annotations.containsKey(PoolLabels.DRAIN_ANNOTATION))
                || (heartbeat != null && (heartbeat.state() == WorkerState.DRAINING || heartbeat.state() == WorkerState.STOPPED));
        // No heartbeat while Redis answered: the worker holds nothing only if it never started.
        int inFlight = heartbeat != null ? heartbeat.inFlight() : ObservedWorker.UNKNOWN_IN_FLIGHT;
        if (heartbeat == null && queueKnown && phase(pod) == Phase.PENDING) {
            inFlight = 0;
        }
        String created = pod.getMetadata().getCreationTimestamp();
        String revision = WorkerPodFactory.templateHashOf(pod);
        return new ObservedWorker(pod.getMetadata().getName(), revision.isEmpty() ? "unknown" : revision, phase(pod), draining,
                inFlight, created == null ? 0 : Instant.parse(created).toEpochMilli());
    }

    /** The planner's phase of a pod: deletionTimestamp wins, then the pod phase, then readiness and container state. */
    public static Phase phase(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return Phase.TERMINATING;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase)) {
            return Phase.SUCCEEDED;
        }
        if ("Failed".equals(phase)) {
            return Phase.FAILED;
        }
        if (ready(pod)) {
            return Phase.READY;
        }
        if ("Running".equals(phase) || workerContainerRunning(pod) || "Unknown".equals(phase)) {
            // Unknown (node lost contact): the process may still run and hold claims.
            return Phase.STARTING;
        }
        return Phase.PENDING;
    }

    public static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static boolean workerContainerRunning(Pod pod) {
        ContainerStatus cs = workerStatus(pod);
        return cs != null && cs.getState() != null && (cs.getState().getRunning() != null || cs.getState().getTerminated() != null);
    }

    private static ContainerStatus workerStatus(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return null;
        }
        return pod.getStatus().getContainerStatuses().stream().filter(c -> WorkerPodFactory.CONTAINER.equals(c.getName())).findFirst()
                .orElse(null);
    }

    /** "reason: message" when the worker container waits on something that will not fix itself, else null. */
    public static String imagePullProblem(Pod pod) {
        ContainerStatus cs = workerStatus(pod);
        if (cs == null || cs.getState() == null || cs.getState().getWaiting() == null) {
            return null;
        }
        String reason = cs.getState().getWaiting().getReason();
        if (reason == null || !IMAGE_PULL_REASONS.contains(reason)) {
            return null;
        }
        String message = cs.getState().getWaiting().getMessage();
        return reason + (message == null ? "" : ": " + message);
    }

    /** The waiting message of CreateContainerConfigError (a missing Secret or key), else null. */
    public static String configProblem(Pod pod) {
        ContainerStatus cs = workerStatus(pod);
        if (cs == null || cs.getState() == null || cs.getState().getWaiting() == null
                || !"CreateContainerConfigError".equals(cs.getState().getWaiting().getReason())) {
            return null;
        }
        return String.valueOf(cs.getState().getWaiting().getMessage());
    }
}
