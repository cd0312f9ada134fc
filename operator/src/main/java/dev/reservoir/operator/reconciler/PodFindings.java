package dev.reservoir.operator.reconciler;

import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.operator.status.Problem;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Phase;
import dev.reservoir.protocol.Heartbeat;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a reconcile reads off the cached pods and the queue before it acts: which pods are the pool's,
 * what is wrong with them, how many count toward the status, and which claims have no worker left. Pure.
 */
public final class PodFindings {
    private PodFindings() {
    }

    /**
     * The pods this pool controls (owner reference with {@code controller: true} and the pool's uid),
     * sorted by name: messages that name a pod must not flip between reconciles, which would rewrite the status.
     */
    public static List<Pod> ownedBy(WorkerPool pool, Collection<Pod> pods) {
        return pods.stream()
                .filter(p -> isOwnedBy(p, pool))
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
    }

    private static boolean isOwnedBy(Pod pod, WorkerPool pool) {
        return pod.getMetadata().getOwnerReferences() != null && pod.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> Boolean.TRUE.equals(o.getController()) && "WorkerPool".equals(o.getKind())
                        && Objects.equals(o.getUid(), pool.getMetadata().getUid()));
    }

    /**
     * Problems the pods show that no amount of waiting fixes: the first pod that cannot pull its image,
     * and the first that cannot start for its configuration. One of each: the status names a pod, not all.
     */
    public static List<Problem> problems(List<Pod> pods, String image) {
        List<Problem> problems = new ArrayList<>(2);
        for (Pod p : pods) {
            String pull = ObservedPod.imagePullProblem(p);
            if (pull != null) {
                problems.add(new Problem(Problem.IMAGE_PULL_FAILED, "pod " + p.getMetadata().getName()
                        + " cannot pull image " + image + " (spec.image): " + pull));
                break;
            }
        }
        for (Pod p : pods) {
            String config = ObservedPod.configProblem(p);
            if (config != null) {
                problems.add(new Problem(Problem.POD_CREATE_FAILED, "pod " + p.getMetadata().getName() + " cannot start: " + config));
                break;
            }
        }
        return problems;
    }

    /**
     * Consumers that own claimed tasks but have neither a pod, nor a create on its way, nor a live
     * heartbeat: workers of this pool killed without handing back (pod deleted by hand, node lost). Their
     * claims can go back now instead of after the visibility timeout. Only ids with the pool's name prefix
     * (the names of its pods) are considered: a consumer named otherwise was never one of its pods.
     */
    public static List<String> orphanedConsumers(String poolName, Map<String, Long> pendingByConsumer, Set<String> podNames,
                                                 Set<String> pendingCreates, Map<String, Heartbeat> heartbeats) {
        List<String> orphaned = new ArrayList<>();
        for (Map.Entry<String, Long> e : pendingByConsumer.entrySet()) {
            String worker = e.getKey();
            if (e.getValue() > 0 && !podNames.contains(worker) && !pendingCreates.contains(worker)
                    && !heartbeats.containsKey(worker) && worker.startsWith(poolName + "-")) {
                orphaned.add(worker);
            }
        }
        return orphaned;
    }

    /**
     * The status's replica counts from the observed workers: alive (not terminating, exited or draining),
     * ready among those, and updated (alive on {@code revision}).
     */
    public record WorkerCounts(int alive, int ready, int updated) {
        public static WorkerCounts of(List<ObservedWorker> observed, String revision) {
            int alive = 0;
            int ready = 0;
            int updated = 0;
            for (ObservedWorker w : observed) {
                boolean counts = w.phase() != Phase.TERMINATING && !w.phase().exited() && !w.draining();
                alive += counts ? 1 : 0;
                ready += counts && w.phase() == Phase.READY ? 1 : 0;
                updated += counts && w.revision().equals(revision) ? 1 : 0;
            }
            return new WorkerCounts(alive, ready, updated);
        }

        /** From pods alone, when the spec cannot be resolved (no revision, no heartbeats): updated is 0. */
        public static WorkerCounts ofPods(List<Pod> pods) {
            int alive = (int) pods.stream().map(ObservedPod::phase).filter(p -> p != Phase.TERMINATING && !p.exited()).count();
            int ready = (int) pods.stream().map(ObservedPod::phase).filter(p -> p == Phase.READY).count();
            return new WorkerCounts(alive, ready, 0);
        }
    }
}
