package dev.reservoir.operator.reconciler;

import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolStatus;
import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.operator.model.ResolvedSpec;
import dev.reservoir.operator.model.SpecResolver;
import dev.reservoir.operator.model.WorkerPodFactory;
import dev.reservoir.operator.queue.QueueObservation;
import dev.reservoir.operator.queue.QueueObserver;
import dev.reservoir.operator.queue.RedisConnections;
import dev.reservoir.operator.runtime.EventRecorder;
import dev.reservoir.operator.runtime.ReconcileMetrics;
import dev.reservoir.operator.status.Problem;
import dev.reservoir.operator.status.ProgressReason;
import dev.reservoir.operator.status.StatusAggregator;
import dev.reservoir.operator.status.StatusInputs;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.pool.DesiredPool;
import dev.reservoir.pool.Expectations;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Phase;
import dev.reservoir.pool.Plan;
import dev.reservoir.pool.PoolPlanner;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jboss.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Keeps a WorkerPool at its desired pool of worker pods. Level-triggered: every reconcile starts
 * from what is (cached pods, the queue in Redis) and acts toward what should be, in this order:
 * <ol>
 * <li>resolve the spec; a bad spec → Degraded(InvalidSpec) + event, and no pod is touched;</li>
 * <li>read the password Secret and the queue (heartbeats, pending claims, figures); failures →
 *     Degraded(SecretMissing / RedisUnreachable), and only safe actions follow;</li>
 * <li>plan with the shared {@link PoolPlanner} (docs/pool-keeping.md), with {@link Expectations} covering a stale cache;</li>
 * <li>reclaim exited workers' tasks, delete their pods, drain surplus or outdated workers (POST /drain,
 *     else a graceful delete), create missing pods;</li>
 * <li>compute the status ({@link StatusAggregator}) and write it only when it changed.</li>
 * </ol>
 * Nothing here throws for bad input or an unreachable dependency, so the operator never crash-loops.
 */
@ApplicationScoped
public class WorkerPoolReconciler implements Reconciler<WorkerPool> {
    private static final Logger LOG = Logger.getLogger(WorkerPoolReconciler.class);
    /** How soon to look again when waiting on something no watch tells us about (Redis, a Secret). */
    static final Duration RETRY_DEPENDENCY = Duration.ofSeconds(15);
    static final Duration RETRY_PROGRESS = Duration.ofSeconds(3);
    private static final String SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

    private final RedisConnections redis;
    private final EventRecorder events;
    private final ReconcileMetrics metrics;
    /** Shared by all pools' reconciles (thread-safe): what this operator did that its pod cache may not show yet. */
    private final Expectations expectations = new Expectations();
    /** Shared by all pools' reconciles (thread-safe): each autoscaled pool's recent recommendations. */
    private final ScaleDownStabilizer stabilizer = new ScaleDownStabilizer();
    private final DrainClient drains;
    private final SecureRandom random = new SecureRandom();

    /** Set once in prepareEventSources (JOSDK calls it before any reconcile); read by the resync job. */
    private volatile InformerEventSource<Pod, WorkerPool> podSource;
    private volatile SimpleInboundEventSource<WorkerPool> resyncSource;
    private volatile IndexedResourceCache<WorkerPool> primaryCache;

    public WorkerPoolReconciler(RedisConnections redis, EventRecorder events, ReconcileMetrics metrics, DrainClient drains) {
        this.redis = redis;
        this.drains = drains;
        this.events = events;
        this.metrics = metrics;
    }

    @Override
    public List<EventSource<?, WorkerPool>> prepareEventSources(EventSourceContext<WorkerPool> context) {
        primaryCache = context.getPrimaryCache();
        podSource = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, WorkerPool.class)
                .withName("pods")
                .withLabelSelector(PoolLabels.MANAGED_SELECTOR)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(WorkerPool.class, false))
                .build(), context);
        resyncSource = new SimpleInboundEventSource<>("queue-resync");
        return List.of(podSource, resyncSource);
    }

    /** Asks for a reconcile of every known pool, so queue figures and heartbeats are re-read (called on a schedule). */
    public int resyncAll() {
        SimpleInboundEventSource<WorkerPool> source = resyncSource;
        IndexedResourceCache<WorkerPool> cache = primaryCache;
        if (source == null || cache == null) {
            return 0;
        }
        List<ResourceID> ids = cache.list().map(ResourceID::fromResource).toList();
        ids.forEach(source::propagateEvent);
        return ids.size();
    }

    @Override
    public UpdateControl<WorkerPool> reconcile(WorkerPool pool, Context<WorkerPool> context) {
        Instant now = Instant.now();
        String key = pool.getMetadata().getNamespace() + "/" + pool.getMetadata().getName();
        String owner = ownerId(pool);
        if (context.isPrimaryResourceDeleted()) {
            // The operator runs with triggerReconcilerOnAllEvents (OperatorRunner) so that this delete reaches us:
            // what it keeps in memory for the pool goes with it. Its pods go by garbage collection (owner references).
            forget(owner, key);
            return UpdateControl.noUpdate();
        }
        if (pool.isMarkedForDeletion()) {
            return UpdateControl.noUpdate(); // being deleted (foreground, or another party's finalizer): create nothing more
        }
        // Sorted by name: messages that name a pod must not flip between reconciles (that would rewrite the status).
        List<Pod> pods = context.getSecondaryResources(Pod.class).stream()
                .filter(p -> isOwnedBy(p, pool))
                .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
        List<Problem> problems = new ArrayList<>();
        WorkerPoolStatus previous = pool.getStatus();

        SpecResolver.Result resolved = SpecResolver.resolve(pool);
        if (!resolved.valid()) {
            // Never act on a spec we cannot read: existing pods keep working as they are. No Redis is read either.
            redis.release(owner);
            problems.add(new Problem(Problem.INVALID_SPEC, "invalid spec, no pod changed: " + resolved.message()));
            StatusInputs in = new StatusInputs(pool.getMetadata().getName(), generation(pool), desiredOf(pool), countAlive(pods),
                    countReady(pods), 0, null, problems, null);
            return finish(pool, context, in, previous, now, null);
        }
        ResolvedSpec spec = resolved.spec();
        String hash = WorkerPodFactory.templateHash(pool, spec);

        String password = null;
        boolean secretOk = true;
        if (spec.passwordSecretRef() != null) {
            SecretKeyRef ref = spec.passwordSecretRef();
            try {
                Secret secret = context.getClient().secrets().inNamespace(pool.getMetadata().getNamespace()).withName(ref.name).get();
                password = secret == null ? null : secretValue(secret, ref.key);
                if (secret == null) {
                    problems.add(new Problem(Problem.SECRET_MISSING, "Secret " + ref.name + " (spec.queue.redis.passwordSecretRef) not found in"
                            + " namespace " + pool.getMetadata().getNamespace() + ": create it with the Redis password under key " + ref.key));
                } else if (password == null) {
                    problems.add(new Problem(Problem.SECRET_MISSING, "Secret " + ref.name + " has no key " + ref.key
                            + " (spec.queue.redis.passwordSecretRef.key): add it or point the key elsewhere"));
                }
            } catch (KubernetesClientException e) {
                problems.add(new Problem(Problem.SECRET_MISSING, "cannot read Secret " + ref.name + ": " + e.getMessage()));
            }
            secretOk = problems.isEmpty();
            if (!secretOk) {
                redis.release(owner); // nothing reads Redis until the Secret is back; its next pool() opens what it names
            }
        }

        PoolQueue queue = new PoolQueue(pool.getMetadata().getName());
        QueueObservation observation = null;
        RedisEndpoint endpoint = RedisEndpoint.parse(spec.redisUrl(), password);
        if (secretOk) {
            try (Jedis jedis = redis.pool(owner, endpoint).getResource()) {
                observation = QueueObserver.observe(jedis, queue);
            } catch (JedisException e) {
                problems.add(new Problem(Problem.REDIS_UNREACHABLE, "cannot read the queue at " + endpoint + " (spec.queue.redis.url): "
                        + rootMessage(e) + "; busy workers are kept until Redis answers"));
            } catch (RuntimeException e) {
                // Data in Redis that does not follow docs/protocol.md (another program writing our keys): report it,
                // keep reconciling pods as if Redis were unreadable, never fail the reconcile in a loop.
                problems.add(new Problem(Problem.REDIS_UNREACHABLE, "cannot understand the queue data at " + endpoint + ": "
                        + rootMessage(e) + "; check what else writes the reservoir:{" + pool.getMetadata().getName() + "}:* keys"));
            }
        }

        // Autoscaling writes spec.replicas like an HPA would, so kubectl and the scale subresource show the target.
        // replicas 0 pauses the pool: the autoscaler leaves it alone until someone scales it up again.
        if (spec.autoscaling() == null) {
            stabilizer.forget(owner); // switched off: switched on again, it starts without history (no scale-down for a window)
        } else if (observation != null && spec.replicas() > 0) {
            ResolvedSpec.Autoscaling autoscaling = spec.autoscaling();
            int recommended = autoscaling.desiredFor(observation.backlog(), observation.inFlight());
            int wanted = stabilizer.stabilize(owner, spec.replicas(), recommended, autoscaling.scaleDownStabilization(),
                    autoscaling.minReplicas(), autoscaling.maxReplicas(), now.toEpochMilli());
            if (wanted != spec.replicas()) {
                context.resourceOperations().jsonPatchPrimary(pool, p -> {
                    p.getSpec().replicas = wanted;
                    return p;
                });
                metrics.apiWrite("workerpool");
                events.normal(pool, "Autoscaled", "replicas " + spec.replicas() + " -> " + wanted + " for backlog "
                        + observation.backlog() + " + in flight " + observation.inFlight() + (wanted == recommended ? ""
                        : " (scale-down stabilization: the queue alone asks for " + recommended + ")"));
                return UpdateControl.noUpdate(); // the spec change triggers the next reconcile
            }
        }

        long nowMillis = now.toEpochMilli();
        boolean queueKnown = observation != null;
        Map<String, Heartbeat> heartbeats = queueKnown ? observation.heartbeats() : Map.of();
        Map<String, Pod> podsByName = new HashMap<>();
        List<ObservedWorker> observed = new ArrayList<>();
        for (Pod p : pods) {
            podsByName.put(p.getMetadata().getName(), p);
            observed.add(ObservedPod.toWorker(p, heartbeats.get(p.getMetadata().getName()), queueKnown));
        }
        Expectations.Pending pending = expectations.observe(key, observed, nowMillis);
        Plan plan = PoolPlanner.plan(new DesiredPool(spec.replicas(), hash), observed, pending);
        // From the plan as planned: without its Secret the pool is held back from creating, but still scaling up.
        String progressReason = ProgressReason.of(plan, observed, pending, hash);
        if (!secretOk) {
            // New pods would fail with CreateContainerConfigError: wait for the Secret (exited pods are still cleaned up).
            plan = new Plan(0, plan.drain(), plan.delete(), plan.reclaim(), true, plan.reason());
        }

        // Workers that own claimed tasks but have neither a pod nor a live heartbeat were killed without handing
        // back (pod deleted by hand, node lost): their claims go back now instead of after the visibility timeout.
        List<String> reclaim = new ArrayList<>(plan.reclaim());
        if (queueKnown) {
            for (Map.Entry<String, Long> e : observation.pendingByConsumer().entrySet()) {
                String worker = e.getKey();
                if (e.getValue() > 0 && !podsByName.containsKey(worker) && !pending.creates().containsKey(worker)
                        && !heartbeats.containsKey(worker) && worker.startsWith(pool.getMetadata().getName() + "-")) {
                    reclaim.add(worker);
                }
            }
        }
        for (Pod p : pods) {
            String pull = ObservedPod.imagePullProblem(p);
            if (pull != null) {
                problems.add(new Problem(Problem.IMAGE_PULL_FAILED, "pod " + p.getMetadata().getName()
                        + " cannot pull image " + spec.image() + " (spec.image): " + pull));
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
        execute(pool, spec, hash, plan, reclaim, podsByName, queueKnown ? endpoint : null, queue, context, key, owner, nowMillis,
                problems);

        int alive = 0;
        int ready = 0;
        int updated = 0;
        for (ObservedWorker w : observed) {
            boolean counts = w.phase() != Phase.TERMINATING && !w.phase().exited() && !w.draining();
            alive += counts ? 1 : 0;
            ready += counts && w.phase() == Phase.READY ? 1 : 0;
            updated += counts && w.revision().equals(hash) ? 1 : 0;
        }
        StatusInputs.Progress progress = plan.progressing() ? new StatusInputs.Progress(progressReason, plan.reason())
                : null;
        StatusInputs in = new StatusInputs(pool.getMetadata().getName(), generation(pool), spec.replicas(), alive, ready, updated,
                queueKnown ? observation.snapshot() : null, problems, progress);
        Duration reschedule = null;
        if (problems.stream().anyMatch(p -> p.reason().equals(Problem.REDIS_UNREACHABLE) || p.reason().equals(Problem.SECRET_MISSING))) {
            reschedule = RETRY_DEPENDENCY;
        } else if (plan.progressing()) {
            reschedule = RETRY_PROGRESS; // drains and readiness are not all Kubernetes events: look again soon
        }
        return finish(pool, context, in, previous, now, reschedule);
    }

    private void execute(WorkerPool pool, ResolvedSpec spec, String hash, Plan plan, List<String> reclaim, Map<String, Pod> pods,
                         RedisEndpoint endpoint, PoolQueue queue, Context<WorkerPool> context, String key, String owner, long now,
                         List<Problem> problems) {
        String ns = pool.getMetadata().getNamespace();
        // Reclaim before deleting: the claims of an exited worker go back to the queue at once.
        if (endpoint != null && !reclaim.isEmpty()) {
            try (Jedis jedis = redis.pool(owner, endpoint).getResource()) {
                for (String worker : reclaim) {
                    int moved = queue.handBackAll(jedis, worker, "worker " + worker + " exited");
                    if (moved > 0) {
                        events.normal(pool, "TasksReclaimed", moved + " task(s) claimed by exited worker " + worker
                                + " returned to the queue");
                    }
                }
            } catch (JedisException e) {
                LOG.warnf("reclaim for %s failed, the visibility timeout will reclaim instead: %s", key, rootMessage(e));
            }
        }
        for (String name : plan.delete()) {
            // Exited pods have no process left: delete them at once. Anything else on this list (a pod seen
            // PENDING) may have started since the observation, so it gets its normal grace period: SIGTERM
            // and preStop make a worker that did start drain and hand back its own claims.
            Pod pod = pods.get(name);
            String phase = pod == null || pod.getStatus() == null ? null : pod.getStatus().getPhase();
            Long grace = "Succeeded".equals(phase) || "Failed".equals(phase) ? Long.valueOf(0L) : null;
            if (deletePod(ns, name, context, grace)) {
                expectations.expectDelete(key, name, now);
                metrics.podAction("delete");
            }
        }
        // Drains never wait for a worker's answer: POST /drain goes out asynchronously, and its answer (an event
        // triggers a reconcile) is read on a later pass. A worker that did not accept is deleted gracefully then.
        drains.retain(owner, pods.keySet());
        Runnable wake = () -> resyncSource.propagateEvent(ResourceID.fromResource(pool));
        for (String name : plan.drain()) {
            Pod pod = pods.get(name);
            if (pod == null) {
                continue;
            }
            markDraining(pod, context);
            expectations.expectDrain(key, name, now);
            metrics.podAction("drain");
            DrainClient.Outcome sent = drains.request(owner, pod, wake);
            if (sent == DrainClient.Outcome.FAILED) {
                drainByDeleting(pool, pod, owner, context, "it has no address yet");
            } else {
                events.normal(pool, "DrainingWorker", "draining worker " + name + (sent == DrainClient.Outcome.IN_FLIGHT
                        ? " (POST /drain)" : " (POST /drain on a later pass: too many drain requests open)"));
            }
        }
        // Level-triggered: a pod marked for drain whose worker did not accept is deleted gracefully (SIGTERM and the
        // preStop hook drain it); one still Ready that was never asked (an operator restart, too many requests open)
        // is asked now. An accepted drain needs nothing more: the worker exits by itself.
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
                outcome = drains.request(owner, pod, wake);
            }
            if (outcome == DrainClient.Outcome.FAILED) {
                drainByDeleting(pool, pod, owner, context, "it did not accept POST /drain");
            }
        }
        for (int i = 0; i < plan.create(); i++) {
            Pod pod = WorkerPodFactory.build(pool, spec, suffix());
            try {
                context.resourceOperations().create(pod, podSource);
                expectations.expectCreate(key, pod.getMetadata().getName(), hash, now);
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

    /** Drops what this operator keeps in memory for a deleted pool. */
    private void forget(String owner, String key) {
        redis.release(owner);
        expectations.forget(key);
        stabilizer.forget(owner);
        drains.forgetPool(owner);
    }

    /** Names a pool in the in-memory state: its uid, so a pool deleted and created again under its name starts afresh. */
    static String ownerId(WorkerPool pool) {
        String uid = pool.getMetadata().getUid();
        return uid == null || uid.isBlank() ? pool.getMetadata().getNamespace() + "/" + pool.getMetadata().getName() : uid;
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

    private UpdateControl<WorkerPool> finish(WorkerPool pool, Context<WorkerPool> context, StatusInputs in, WorkerPoolStatus previous,
                                             Instant now, Duration reschedule) {
        WorkerPoolStatus status = StatusAggregator.aggregate(in, previous, now);
        Condition before = StatusAggregator.find(previous, StatusAggregator.DEGRADED);
        Condition after = StatusAggregator.find(status, StatusAggregator.DEGRADED);
        if ("True".equals(after.getStatus()) && (before == null || !"True".equals(before.getStatus())
                || !Objects.equals(before.getReason(), after.getReason()) || !Objects.equals(before.getMessage(), after.getMessage()))) {
            // One event per new problem, not one per reconcile.
            events.warning(pool, after.getReason(), after.getMessage());
        }
        if (!status.equals(previous)) {
            try {
                context.resourceOperations().jsonPatchPrimaryStatus(pool, p -> {
                    p.setStatus(status);
                    return p;
                });
                metrics.apiWrite("status");
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e; // a conflict or an outage: JOSDK retries with backoff
                }
                // the pool was deleted meanwhile: nothing to report
            }
        }
        UpdateControl<WorkerPool> control = UpdateControl.noUpdate();
        return reschedule == null ? control : control.rescheduleAfter(reschedule);
    }

    private static boolean isOwnedBy(Pod pod, WorkerPool pool) {
        return pod.getMetadata().getOwnerReferences() != null && pod.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> Boolean.TRUE.equals(o.getController()) && "WorkerPool".equals(o.getKind())
                        && Objects.equals(o.getUid(), pool.getMetadata().getUid()));
    }

    private static int countAlive(List<Pod> pods) {
        return (int) pods.stream().map(ObservedPod::phase).filter(p -> p != Phase.TERMINATING && !p.exited()).count();
    }

    private static int countReady(List<Pod> pods) {
        return (int) pods.stream().map(ObservedPod::phase).filter(p -> p == Phase.READY).count();
    }

    private static int desiredOf(WorkerPool pool) {
        return pool.getSpec() == null || pool.getSpec().replicas == null ? 1 : Math.max(0, pool.getSpec().replicas);
    }

    private static long generation(WorkerPool pool) {
        return pool.getMetadata().getGeneration() == null ? 0 : pool.getMetadata().getGeneration();
    }

    private static String secretValue(Secret secret, String key) {
        if (secret.getData() != null && secret.getData().get(key) != null) {
            return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
        }
        if (secret.getStringData() != null) {
            return secret.getStringData().get(key);
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private String suffix() {
        StringBuilder sb = new StringBuilder(5);
        for (int i = 0; i < 5; i++) {
            sb.append(SUFFIX_ALPHABET.charAt(random.nextInt(SUFFIX_ALPHABET.length())));
        }
        return sb.toString();
    }

}
