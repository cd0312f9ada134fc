package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.operator.reconciler.ObservedPod;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Phase;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.WorkerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import org.junit.jupiter.api.Test;

/** The pod → planner mapping of docs/pool-keeping.md ("What a caller must report"), row by row. */
class ObservedPodTest {

    private static PodBuilder pod(String phase) {
        return new PodBuilder().withNewMetadata().withName("p-0123456789-abcde").withCreationTimestamp("2026-01-01T00:00:00Z")
                .addToLabels(PoolLabels.TEMPLATE_HASH, "0123456789").endMetadata()
                .withStatus(phase == null ? null : new PodStatusBuilder().withPhase(phase).build());
    }

    private static Pod ready(String phase, boolean ready) {
        return pod(phase).editStatus().withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False")
                .build()).endStatus().build();
    }

    private static Heartbeat heartbeat(WorkerState state, int inFlight) {
        return new Heartbeat("p-0123456789-abcde", state, 4, inFlight, inFlight, 0, 0, 0, 0, 0, 0, "h", 1, 0, 0, 0);
    }

    @Test
    void phases() {
        assertThat(ObservedPod.phase(pod(null).build())).isEqualTo(Phase.PENDING);
        assertThat(ObservedPod.phase(pod("Pending").build())).isEqualTo(Phase.PENDING);
        assertThat(ObservedPod.phase(ready("Running", false))).isEqualTo(Phase.STARTING);
        assertThat(ObservedPod.phase(ready("Running", true))).isEqualTo(Phase.READY);
        assertThat(ObservedPod.phase(pod("Succeeded").build())).isEqualTo(Phase.SUCCEEDED);
        assertThat(ObservedPod.phase(pod("Failed").build())).isEqualTo(Phase.FAILED);
        // The node lost contact: the process may still run and hold claims.
        assertThat(ObservedPod.phase(pod("Unknown").build())).isEqualTo(Phase.STARTING);
        // The worker container runs while the pod is still Pending (a slow sidecar): not PENDING.
        Pod sidecar = pod("Pending").editStatus().withContainerStatuses(new ContainerStatusBuilder().withName("worker")
                .withState(new ContainerStateBuilder().withNewRunning().endRunning().build()).build()).endStatus().build();
        assertThat(ObservedPod.phase(sidecar)).isEqualTo(Phase.STARTING);
        // deletionTimestamp wins over everything.
        Pod deleting = pod("Failed").editMetadata().withDeletionTimestamp("2026-01-01T00:01:00Z").endMetadata().build();
        assertThat(ObservedPod.phase(deleting)).isEqualTo(Phase.TERMINATING);
    }

    @Test
    void drainingAndInFlightComeFromTheAnnotationAndTheHeartbeat() {
        ObservedWorker busy = ObservedPod.toWorker(ready("Running", true), heartbeat(WorkerState.RUNNING, 3), true);
        assertThat(busy.inFlight()).isEqualTo(3);
        assertThat(busy.draining()).isFalse();
        assertThat(busy.revision()).isEqualTo("0123456789");
        assertThat(busy.createdAtMillis()).isEqualTo(1767225600000L);

        assertThat(ObservedPod.toWorker(ready("Running", true), heartbeat(WorkerState.DRAINING, 1), true).draining()).isTrue();
        Pod marked = new PodBuilder(ready("Running", true)).editMetadata().addToAnnotations(PoolLabels.DRAIN_ANNOTATION, "1").endMetadata()
                .build();
        assertThat(ObservedPod.toWorker(marked, heartbeat(WorkerState.RUNNING, 0), true).draining()).isTrue();

        // No heartbeat: unknown (treated as busy by the planner), except a pod whose worker never started.
        assertThat(ObservedPod.toWorker(ready("Running", true), null, true).inFlight()).isEqualTo(ObservedWorker.UNKNOWN_IN_FLIGHT);
        assertThat(ObservedPod.toWorker(pod("Pending").build(), null, true).inFlight()).isZero();
        assertThat(ObservedPod.toWorker(pod("Pending").build(), null, false).inFlight()).isEqualTo(ObservedWorker.UNKNOWN_IN_FLIGHT);
    }

    @Test
    void imagePullAndConfigProblemsAreNamed() {
        Pod pulling = pod("Pending").editStatus().withContainerStatuses(new ContainerStatusBuilder().withName("worker")
                .withState(new ContainerStateBuilder().withNewWaiting().withReason("ImagePullBackOff")
                        .withMessage("Back-off pulling image \"nope:1\"").endWaiting().build()).build()).endStatus().build();
        assertThat(ObservedPod.imagePullProblem(pulling)).isEqualTo("ImagePullBackOff: Back-off pulling image \"nope:1\"");
        assertThat(ObservedPod.configProblem(pulling)).isNull();
        Pod config = pod("Pending").editStatus().withContainerStatuses(new ContainerStatusBuilder().withName("worker")
                .withState(new ContainerStateBuilder().withNewWaiting().withReason("CreateContainerConfigError")
                        .withMessage("secret \"redis\" not found").endWaiting().build()).build()).endStatus().build();
        assertThat(ObservedPod.configProblem(config)).isEqualTo("secret \"redis\" not found");
        assertThat(ObservedPod.imagePullProblem(ready("Running", true))).isNull();
    }
}
