package dev.reservoir.operator.reconciler;

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
import dev.reservoir.operator.status.StatusInputs;
import dev.reservoir.pool.DesiredPool;
import dev.reservoir.pool.Expectations;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Plan;
import dev.reservoir.pool.PoolPlanner;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisEndpoint;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Keeps a WorkerPool at its desired pool of worker pods. Level-triggered: every reconcile starts
 * from what is (cached pods, the queue in Redis) and acts toward what should be, in this order:
 * <ol>
 * <li><b>resolve</b> the spec; a bad spec → Degraded(InvalidSpec) + event, and no pod is touched;</li>
 * <li><b>read</b> the password Secret ({@link PasswordSecret}), the workers' token Secret (created if missing,
 *     {@link WorkerTokenSecret}) and the queue (heartbeats, pending claims,
 *     figures); failures → Degraded(SecretUnreadable / RedisUnreachable), and only safe actions follow;</li>
 * <li><b>autoscale</b>: write a new {@code spec.replicas} if the queue asks for one ({@link ScaleDownStabilizer}),
 *     and stop: the spec change triggers the next reconcile;</li>
 * <li><b>plan</b> with the shared {@link PoolPlanner} (docs/pool-keeping.md), with {@link Expectations}
 *     covering a stale cache; without its Secret the pool creates nothing;</li>
 * <li><b>find</b> what the plan does not cover ({@link PodFindings}): claims with no worker left, pods
 *     that cannot pull or start;</li>
 * <li><b>act</b> ({@link PodActuator}): reclaim, delete, drain, create;</li>
 * <li><b>report</b> ({@link StatusWriter}): the status, written only when it changed, and look again soon
 *     while something is in motion or a dependency is down.</li>
 * </ol>
 * Nothing here throws for bad input or an unreachable dependency, so the operator never crash-loops.
 * The pieces with no I/O ({@link PodFindings}, {@link PasswordSecret#of}, {@link ObservedPod},
 * {@link #requeueAfter}) are unit-tested on their own.
 */
@ApplicationScoped
public class WorkerPoolReconciler implements Reconciler<WorkerPool> {
    /** How soon to look again when waiting on something no watch tells us about (Redis, a Secret). */
    public static final Duration RETRY_DEPENDENCY = Duration.ofSeconds(15);
    /** How soon to look again while pods are in motion: drains and readiness are not all Kubernetes events. */
    public static final Duration RETRY_PROGRESS = Duration.ofSeconds(3);

    private final RedisConnections redis;
    private final EventRecorder events;
    private final ReconcileMetrics metrics;
    /** Shared by all pools' reconciles (thread-safe): what this operator did that its pod cache may not show yet. */
    private final Expectations expectations = new Expectations();
    /** Shared by all pools' reconciles (thread-safe): each autoscaled pool's recent recommendations. */
    private final ScaleDownStabilizer stabilizer = new ScaleDownStabilizer();
    private final DrainClient drains;
    private final PodActuator actuator;
    private final StatusWriter statusWriter;

    /** Set once in prepareEventSources (JOSDK calls it before any reconcile); read by the resync job. */
    private volatile InformerEventSource<Pod, WorkerPool> podSource;
    private volatile SimpleInboundEventSource<WorkerPool> resyncSource;
    private volatile IndexedResourceCache<WorkerPool> primaryCache;

    public WorkerPoolReconciler(RedisConnections redis, EventRecorder events, ReconcileMetrics metrics, DrainClient drains) {
        this.redis = redis;
        this.drains = drains;
        this.events = events;
        this.metrics = metrics;
        this.actuator = new PodActuator(redis, events, metrics, expectations, drains);
        this.statusWriter = new StatusWriter(events, metrics);
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
        String name = pool.getMetadata().getName();
        String key = pool.getMetadata().getNamespace() + "/" + name;
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
        List<Pod> pods = PodFindings.ownedBy(pool, context.getSecondaryResources(Pod.class));
        List<Problem> problems = new ArrayList<>();
        WorkerPoolStatus previous = pool.getStatus();

        // 1. Resolve.
        SpecResolver.Result resolved = SpecResolver.resolve(pool);
        if (!resolved.valid()) {
            // Never act on a spec we cannot read: existing pods keep working as they are. No Redis is read either.
            redis.release(owner);
            problems.add(new Problem(Problem.INVALID_SPEC, "invalid spec, no pod changed: " + resolved.message()));
            PodFindings.WorkerCounts counts = PodFindings.WorkerCounts.ofPods(pods);
            StatusInputs in = new StatusInputs(name, generation(pool), desiredOf(pool), counts.alive(), counts.ready(), counts.updated(),
                    null, problems, null);
            return finish(pool, context, in, previous, now, null);
        }
        ResolvedSpec spec = resolved.spec();
        String hash = WorkerPodFactory.templateHash(pool, spec);

        // 2. Read the Secret, then the queue.
        String password = null;
        boolean secretOk = true;
        if (spec.passwordSecretRef() != null) {
            PasswordSecret.Reading secret = PasswordSecret.read(context.getClient(), pool.getMetadata().getNamespace(), spec.passwordSecretRef());
            password = secret.password();
            secretOk = secret.ok();
            if (!secretOk) {
                problems.add(secret.problem());
                redis.release(owner); // nothing reads Redis until the Secret is back; its next pool() opens what it names
            }
        }
        // The workers' token (created here the first time): pods need it to start, drain requests carry it.
        WorkerTokenSecret.Reading workerToken = WorkerTokenSecret.ensure(context.getClient(), pool);
        if (!workerToken.ok()) {
            problems.add(workerToken.problem());
        }
        PoolQueue queue = new PoolQueue(name);
        RedisEndpoint endpoint = RedisEndpoint.parse(spec.redisUrl(), password);
        QueueObservation observation = secretOk ? observeQueue(name, queue, endpoint, owner, problems) : null;

        // 3. Autoscale.
        if (autoscale(pool, spec, observation, context, owner, now)) {
            return UpdateControl.noUpdate(); // the spec change triggers the next reconcile
        }

        // 4. Plan.
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
        if (!secretOk || !workerToken.ok()) {
            // New pods would fail with CreateContainerConfigError: wait for the Secrets (exited pods are still cleaned up).
            plan = new Plan(0, plan.drain(), plan.delete(), plan.reclaim(), true, plan.reason());
        }

        // 5. Find what the plan does not cover.
        List<String> reclaim = new ArrayList<>(plan.reclaim());
        if (queueKnown) {
            reclaim.addAll(PodFindings.orphanedConsumers(name, observation.pendingByConsumer(), podsByName.keySet(),
                    pending.creates().keySet(), heartbeats));
        }
        problems.addAll(PodFindings.problems(pods, spec.image()));

        // 6. Act.
        Runnable wake = () -> resyncSource.propagateEvent(ResourceID.fromResource(pool));
        actuator.execute(pool, spec, hash, plan, reclaim, podsByName, queueKnown ? endpoint : null, queue, context, podSource,
                workerToken.token(), wake, key, owner, nowMillis, problems);

        // 7. Report.
        PodFindings.WorkerCounts counts = PodFindings.WorkerCounts.of(observed, hash);
        StatusInputs.Progress progress = plan.progressing() ? new StatusInputs.Progress(progressReason, plan.reason()) : null;
        StatusInputs in = new StatusInputs(name, generation(pool), spec.replicas(), counts.alive(), counts.ready(), counts.updated(),
                queueKnown ? observation.snapshot() : null, problems, progress);
        return finish(pool, context, in, previous, now, requeueAfter(problems, plan.progressing()));
    }

    /** The queue's state, or null (with a problem added) when Redis cannot be read or its data not understood. */
    private QueueObservation observeQueue(String poolName, PoolQueue queue, RedisEndpoint endpoint, String owner, List<Problem> problems) {
        try (Jedis jedis = redis.pool(owner, endpoint).getResource()) {
            return QueueObserver.observe(jedis, queue);
        } catch (JedisException e) {
            problems.add(new Problem(Problem.REDIS_UNREACHABLE, "cannot read the queue at " + endpoint + " (spec.queue.redis.url): "
                    + rootMessage(e) + "; busy workers are kept until Redis answers"));
        } catch (RuntimeException e) {
            // Data in Redis that does not follow docs/protocol.md (another program writing our keys): report it,
            // keep reconciling pods as if Redis were unreadable, never fail the reconcile in a loop.
            problems.add(new Problem(Problem.REDIS_UNREACHABLE, "cannot understand the queue data at " + endpoint + ": "
                    + rootMessage(e) + "; check what else writes the reservoir:{" + poolName + "}:* keys"));
        }
        return null;
    }

    /**
     * Autoscaling writes spec.replicas like an HPA would, so kubectl and the scale subresource show the
     * target; true when it did (the caller stops: the spec change triggers the next reconcile).
     * replicas 0 pauses the pool: the autoscaler leaves it alone until someone scales it up again.
     */
    private boolean autoscale(WorkerPool pool, ResolvedSpec spec, QueueObservation observation, Context<WorkerPool> context,
                              String owner, Instant now) {
        if (spec.autoscaling() == null) {
            stabilizer.forget(owner); // switched off: switched on again, it starts without history (no scale-down for a window)
            return false;
        }
        if (observation == null || spec.replicas() <= 0) {
            return false;
        }
        ResolvedSpec.Autoscaling autoscaling = spec.autoscaling();
        int recommended = autoscaling.desiredFor(observation.backlog(), observation.inFlight());
        int wanted = stabilizer.stabilize(owner, spec.replicas(), recommended, autoscaling.scaleDownStabilization(),
                autoscaling.minReplicas(), autoscaling.maxReplicas(), now.toEpochMilli());
        if (wanted == spec.replicas()) {
            return false;
        }
        context.resourceOperations().jsonPatchPrimary(pool, p -> {
            p.getSpec().replicas = wanted;
            return p;
        });
        metrics.apiWrite("workerpool");
        events.normal(pool, "Autoscaled", "replicas " + spec.replicas() + " -> " + wanted + " for backlog "
                + observation.backlog() + " + in flight " + observation.inFlight() + (wanted == recommended ? ""
                : " (scale-down stabilization: the queue alone asks for " + recommended + ")"));
        return true;
    }

    /**
     * When to reconcile again without an event: soon after a dependency failed (Redis, a Secret: nothing
     * watches them), sooner while pods are in motion, else only on the next event or resync (null).
     */
    public static Duration requeueAfter(List<Problem> problems, boolean progressing) {
        if (problems.stream().anyMatch(p -> p.reason().equals(Problem.REDIS_UNREACHABLE) || p.reason().equals(Problem.SECRET_UNREADABLE))) {
            return RETRY_DEPENDENCY;
        }
        return progressing ? RETRY_PROGRESS : null;
    }

    private UpdateControl<WorkerPool> finish(WorkerPool pool, Context<WorkerPool> context, StatusInputs in, WorkerPoolStatus previous,
                                             Instant now, Duration reschedule) {
        statusWriter.write(pool, context, in, previous, now);
        UpdateControl<WorkerPool> control = UpdateControl.noUpdate();
        return reschedule == null ? control : control.rescheduleAfter(reschedule);
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

    private static int desiredOf(WorkerPool pool) {
        return pool.getSpec() == null || pool.getSpec().replicas == null ? 1 : Math.max(0, pool.getSpec().replicas);
    }

    private static long generation(WorkerPool pool) {
        return pool.getMetadata().getGeneration() == null ? 0 : pool.getMetadata().getGeneration();
    }

    /** The innermost cause's message: what Jedis and the API client wrap is what the user can act on. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
