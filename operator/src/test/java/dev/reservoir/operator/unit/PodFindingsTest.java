package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.operator.reconciler.PodFindings;
import dev.reservoir.operator.status.Problem;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Phase;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.WorkerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a reconcile reads off pods and the queue before acting: ownership, problems, orphaned claims, counts. */
class PodFindingsTest {
    private final WorkerPool pool = Pools.minimal("p");

    private static Pod pod(String name, String ownerUid, boolean controller) {
        return new PodBuilder().withNewMetadata().withName(name)
                .addToOwnerReferences(new OwnerReferenceBuilder().withKind("WorkerPool").withUid(ownerUid).withController(controller)
                        .withName("p").withApiVersion("reservoir.dev/v1alpha1").build())
                .endMetadata().build();
    }

    private static Pod waiting(String name, String reason, String message) {
        return new PodBuilder(pod(name, "uid-p", true)).withNewStatus().withPhase("Pending")
                .withContainerStatuses(new ContainerStatusBuilder().withName("worker").withState(new ContainerStateBuilder()
                        .withNewWaiting().withReason(reason).withMessage(message).endWaiting().build()).build())
                .endStatus().build();
    }

    @Test
    void ownedPodsAreThoseThePoolControlsSortedByName() {
        Pod b = pod("p-b", "uid-p", true);
        Pod a = pod("p-a", "uid-p", true);
        Pod otherPool = pod("p-c", "uid-other", true);
        Pod notController = pod("p-d", "uid-p", false);
        Pod orphan = new PodBuilder().withNewMetadata().withName("p-e").endMetadata().build();
        assertThat(PodFindings.ownedBy(pool, List.of(b, otherPool, a, notController, orphan))).containsExactly(a, b);
    }

    @Test
    void theFirstPodThatCannotPullAndTheFirstThatCannotStartAreNamed() {
        List<Pod> pods = List.of(waiting("p-a", "ErrImagePull", "not found"), waiting("p-b", "ImagePullBackOff", "back-off"),
                waiting("p-c", "CreateContainerConfigError", "secret \"redis\" not found"));
        List<Problem> problems = PodFindings.problems(pods, "nope:1");
        assertThat(problems).extracting(Problem::reason).containsExactly(Problem.IMAGE_PULL_FAILED, Problem.POD_CREATE_FAILED);
        assertThat(problems.get(0).message()).isEqualTo("pod p-a cannot pull image nope:1 (spec.image): ErrImagePull: not found");
        assertThat(problems.get(1).message()).isEqualTo("pod p-c cannot start: secret \"redis\" not found");
        assertThat(PodFindings.problems(List.of(pod("p-a", "uid-p", true)), "img")).isEmpty();
    }

    @Test
    void claimsOfAWorkerWithNoPodNoCreateAndNoHeartbeatAreOrphaned() {
        Heartbeat alive = new Heartbeat("p-alive", WorkerState.RUNNING, 4, 1, 1, 0, 0, 0, 0, 0, 0, "h", 1, 0, 0, 0);
        Map<String, Long> pending = new java.util.LinkedHashMap<>();
        pending.put("p-gone", 3L);        // no pod, no create, no heartbeat: orphaned
        pending.put("p-pod", 2L);         // has a pod
        pending.put("p-creating", 1L);    // a create on its way
        pending.put("p-alive", 1L);       // heartbeat says it lives (pod not in the cache yet)
        pending.put("p-idle", 0L);        // owns nothing
        pending.put("local-worker", 5L);  // not a name this pool's pods can have
        List<String> orphaned = PodFindings.orphanedConsumers("p", pending, Set.of("p-pod"), Set.of("p-creating"),
                Map.of("p-alive", alive));
        assertThat(orphaned).containsExactly("p-gone");
    }

    @Test
    void countsLeaveOutWorkersThatAreGoingAway() {
        List<ObservedWorker> observed = List.of(
                new ObservedWorker("p-a", "new", Phase.READY, false, 0, 0),
                new ObservedWorker("p-b", "old", Phase.READY, false, 0, 0),
                new ObservedWorker("p-c", "new", Phase.STARTING, false, 0, 0),
                new ObservedWorker("p-d", "new", Phase.READY, true, 0, 0),       // draining
                new ObservedWorker("p-e", "new", Phase.TERMINATING, false, 0, 0),
                new ObservedWorker("p-f", "new", Phase.FAILED, false, 0, 0));
        assertThat(PodFindings.WorkerCounts.of(observed, "new")).isEqualTo(new PodFindings.WorkerCounts(3, 2, 2));

        Pod ready = new PodBuilder(pod("p-a", "uid-p", true)).withNewStatus().withPhase("Running")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build()).endStatus().build();
        Pod failed = new PodBuilder(pod("p-b", "uid-p", true)).withNewStatus().withPhase("Failed").endStatus().build();
        Pod pending = new PodBuilder(pod("p-c", "uid-p", true)).withNewStatus().withPhase("Pending").endStatus().build();
        assertThat(PodFindings.WorkerCounts.ofPods(List.of(ready, failed, pending))).isEqualTo(new PodFindings.WorkerCounts(2, 1, 0));
    }
}
