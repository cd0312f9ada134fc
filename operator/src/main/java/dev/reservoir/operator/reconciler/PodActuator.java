package dev.reservoir.operator.reconciler;

import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.operator.model.ResolvedSpec;
import dev.reservoir.operator.model.WorkerPodFactory;
import dev.reservoir.operator.queue.RedisConnections;
import dev.reservoir.operator.runtime.EventRecorder;
import dev.reservoir.operator.runtime.ReconcileMetrics;
import dev.reservoir.operator.status.Problem;
import dev.reservoir.pool.Expectations;
import dev.reservoir.pool.Phase;
import dev.reservoir.pool.Plan;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisEndpoint;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Carries out a {@link Plan} on a pool's pods, in this order:
 * <ol>
 * <li><b>reclaim</b>: exited or vanished workers' claims go back to the queue ({@code handBackAll}), before
 *     their pods are deleted, so the tasks are back at once;</li>
 * <li><b>delete</b> the pods the plan names: an exited pod at once (no process is left), any other with its
 *     normal grace period (it may have started since the observation: SIGTERM and preStop drain it);</li>
 * <li><b>drain</b> surplus or outdated workers: mark the pod (the annotation survives an operator restart),
 *     then {@code POST /drain}, sent asynchronously and answered on a later pass; a worker that cannot be
 *     asked, or did not accept, is deleted gracefully instead, which starts the same drain;</li>
 * <li><b>create</b> the missing pods.</li>
 * </ol>
 * Every create, delete and drain is recorded in {@link Expectations} once the API server accepted it, so
 * the next pass does not repeat it from a cache that does not show it yet. Nothing here waits for a pod or
 * a worker: what is not done yet is seen, and finished, by a later pass. An API error is logged (or, for a
 * create, reported as a problem) and left to the next pass; nothing here throws.
 */
final class PodActuator {
    private static final Logger LOG = Logger.getLogger(PodActuator.class);
    /** Kubernetes' own generateName alphabet: no vowels (no words), no 0, 1 or 3 (misread as o, l, e). */
    private static final String SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
    private static final int SUFFIX_LENGTH = 5;

    private final RedisConnections redis;
    private final EventRecorder events;
    private final ReconcileMetrics metrics;
    private final Expectations expectations;
    private final DrainClient drains;
    private final SecureRandom random = new SecureRandom();

    PodActuator(RedisConnections redis, EventRecorder events, ReconcileMetrics metrics, Expectations expectations, DrainClient drains) {
        this.redis = redis;
        this.events = events;
        this.metrics = metrics;
        this.expectations = expectations;
        this.drains = drains;
    }

    /**
     * One pass over the plan.
     *
     * @param reclaim  consumers whose claims go back: the plan's, plus those with no worker left
     * @param pods     the pool's pods by name, as observed
     * @param endpoint the pool's Redis, or null when it could not be read this pass (nothing is reclaimed then)
     * @param drainToken the pool's worker token for POST /drain, or null when it could not be read this pass
     * @param wake     asks for another reconcile of this pool (a drain answer arrived)
     * @param problems where a failed create is reported
     */
    void execute(WorkerPool pool, ResolvedSpec spec, String revision, Plan plan, List<String> reclaim, Map<String, Pod> pods,
                 RedisEndpoint endpoint, PoolQueue queue, Context<WorkerPool> context, InformerEventSource<Pod, WorkerPool> podSource,
                 String drainToken, Runnable wake, String key, String owner, long now, List<Problem> problems) {
        if (endpoint != null && !reclaim.isEmpty()) {
            reclaim(pool, reclaim, endpoint, queue, key, owner, spec.maxAttempts());
        }
        String ns = pool.getMetadata().getNamespace();
        for (String name : plan.delete()) {
            Pod pod = pods.get(name);
            String phase = pod == null || pod.getStatus() == null ? null : pod.getStatus().getPhase();
            Long grace = "Succeeded".equals(phase) || "Failed".equals(phase) ? Long.valueOf(0L) : null;
            if (deletePod(ns, name, context, grace)) {
                expectations.expectDelete(key, name, now);
                metrics.podAction("delete");
            }
        }
        drains.retain(owner, pods.keySet());
        for (String name : plan.drain()) {
            Pod pod = pods.get(name);
            if (pod == null) {
                continue;
            }
            markDraining(pod, context);
            expectations.expectDrain(key, name, now);
            metrics.podAction("drain");
            DrainClient.Outcome sent = drains.request(owner, pod, drainToken, wake);
            if (sent == DrainClient.Outcome.FAILED) {
                drainByDeleting(pool, pod, owner, context, "it has no address yet");
            } else {
                events.normal(pool, "DrainingWorker", "draining worker " + name + (sent == DrainClient.Outcome.IN_FLIGHT
                        ? " (POST /drain)" : " (POST /drain on a later pass: too many drain requests open)"));
            }
        }
        followUpDrains(pool, plan, pods, context, owner, drainToken, wake);
        for (int i = 0; i < plan.create(); i++) {
            Pod pod = WorkerPodFactory.build(pool, spec, suffix());
            try {
                context.resourceOperations().create(pod, podSource);
                expectations.expectCreate(key, pod.getMetadata().getName(), revision, now);
                metrics.podAction("create");
                metrics.apiWrite("pod");
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                    continue; // name taken (suffix collision): the next pass creates another
                }
                problems.add(new Problem(Problem.POD_CREATE_FAILED, "cannot create worker pods: " + e.getMessage()));
                break;
            }
        }
    }

    private void reclaim(WorkerPool pool, List<String> reclaim, RedisEndpoint endpoint, PoolQueue queue, String key, String owner,
                         int maxAttempts) {
        try (Jedis jedis = redis.pool(owner, endpoint).getResource()) {
            for (String worker : reclaim) {
                // Past maxAttempts a task is dead-lettered (WorkerLost) instead: it may be what killed its workers.
                int moved = queue.handBackAll(jedis, worker, "worker " + worker + " exited", maxAttempts);
                if (moved > 0) {
                    events.normal(pool, "TasksReclaimed", moved + " task(s) claimed by exited worker " + worker
                            + " returned to the queue");
                }
            }
        } catch (JedisException e) {
            LOG.warnf("reclaim for %s failed, the visibility timeout will reclaim instead: %s", key, WorkerPoolReconciler.rootMessage(e));
        }
    }

    /**
     * Level-triggered: a pod marked for drain (in an earlier pass) whose worker did not accept is deleted
     * gracefully (SIGTERM and the preStop hook drain it); one still Ready that was never asked (an operator
     * restart, too many requests open) is asked now. An accepted drain needs nothing more: the worker exits
     * by itself.
     */
    private void followUpDrains(WorkerPool pool, Plan plan, Map<String, Pod> pods, Context<WorkerPool> context, String owner,
                                String drainToken, Runnable wake) {
        for (Pod pod : pods.values()) {
            String name = pod.getMetadata().getName();
            var annotations = pod.getMetadata().getAnnotations();
            if (annotations == null || !annotations.containsKey(PoolLabels.DRAIN_ANNOTATION) || plan.drain().contains(name)) {
                continue;
            }
            Phase phase = ObservedPod.phase(pod);
            if (phase.exited() || phase == Phase.TERMINATING) {
                drains.forget(owner, name);
                continue;
            }
            DrainClient.Outcome outcome = drains.outcome(owner, name);
            if (outcome == DrainClient.Outcome.NONE && phase == Phase.READY) {
                outcome = drains.request(owner, pod, drainToken, wake);
            }
            if (outcome == DrainClient.Outcome.FAILED) {
                drainByDeleting(pool, pod, owner, context, "it did not accept POST /drain");
            }
        }
    }

    /** The fallback drain: a graceful delete runs the preStop hook and sends SIGTERM, which starts the same drain. */
    private void drainByDeleting(WorkerPool pool, Pod pod, String owner, Context<WorkerPool> context, String why) {
        String name = pod.getMetadata().getName();
        if (deletePod(pool.getMetadata().getNamespace(), name, context, null)) {
            drains.forget(owner, name); // else the next pass tries the delete again
            events.normal(pool, "DrainingWorker", "draining worker " + name + " by a graceful delete (" + why
                    + "): SIGTERM and the preStop hook drain it");
        }
    }

    /** The drain annotation records the request on the pod, so a restarted operator still knows it asked. */
    private void markDraining(Pod pod, Context<WorkerPool> context) {
        try {
            context.getClient().pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .edit(p -> {
                        p.getMetadata().getAnnotations().put(PoolLabels.DRAIN_ANNOTATION, Long.toString(System.currentTimeMillis()));
                        return p;
                    });
            metrics.apiWrite("pod");
        } catch (KubernetesClientException e) {
            LOG.warnf("could not mark pod %s for drain: %s", pod.getMetadata().getName(), e.getMessage());
        }
    }

    /** Deletes a pod, with {@code graceSeconds} or (null) its own grace period; false if the API server refused. */
    private boolean deletePod(String ns, String name, Context<WorkerPool> context, Long graceSeconds) {
        try {
            var resource = context.getClient().pods().inNamespace(ns).withName(name);
            if (graceSeconds != null) {
                resource.withGracePeriod(graceSeconds).delete();
            } else {
                resource.delete();
            }
            metrics.apiWrite("pod");
            return true;
        } catch (KubernetesClientException e) {
            LOG.warnf("could not delete pod %s/%s: %s", ns, name, e.getMessage());
            return false;
        }
    }

    private String suffix() {
        StringBuilder sb = new StringBuilder(SUFFIX_LENGTH);
        for (int i = 0; i < SUFFIX_LENGTH; i++) {
            sb.append(SUFFIX_ALPHABET.charAt(random.nextInt(SUFFIX_ALPHABET.length())));
        }
        return sb.toString();
    }
}
