package dev.reservoir.operator.runtime;

import dev.reservoir.operator.config.OperatorConfig;
import dev.reservoir.operator.reconciler.WorkerPoolReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Wires the Java Operator SDK into Quarkus by hand (the quarkus-operator-sdk extension cannot be
 * resolved at the Quarkus platform version this build uses): builds the {@link Operator} on Quarkus's
 * KubernetesClient at start-up, registers the reconciler for the configured namespaces, and stops it
 * on shutdown.
 *
 * <p>Lifecycle: NEW → {@link #start()} → RUNNING (leading or waiting for the Lease) → {@link #stop()}
 * → STOPPED. Guarded by {@code this}.
 */
@ApplicationScoped
public class OperatorRunner {
    private static final Logger LOG = Logger.getLogger(OperatorRunner.class);

    private final KubernetesClient client;
    private final WorkerPoolReconciler reconciler;
    private final ReconcileMetrics metrics;
    private final OperatorConfig config;
    private Operator operator;
    /** True while stop() runs, so losing the Lease then is not taken for a failure. Volatile: read on the elector's thread. */
    private volatile boolean stopping;

    public OperatorRunner(KubernetesClient client, WorkerPoolReconciler reconciler, ReconcileMetrics metrics, OperatorConfig config) {
        this.client = client;
        this.reconciler = reconciler;
        this.metrics = metrics;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.startOnBoot()) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    public synchronized void start() {
        if (operator != null) {
            return;
        }
        Operator op = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    // Plain JSON patches: server-side apply of the primary needs a field manager per field and
                    // is not served by every API server this runs against (the test server among them).
                    .withUseSSAToPatchPrimaryResource(false)
                    .withConcurrentReconciliationThreads(config.reconcileThreads())
                    .withMetrics(metrics)
                    .withResourceCloner(new PoolCloner(client.getKubernetesSerialization()))
                    // A missing CRD or RBAC gap is reported by the informers' health, not a crash at start.
                    .withStopOnInformerErrorDuringStartup(false);
            if (config.leaderElection().enabled()) {
                // JOSDK would System.exit() when leadership ends, also on a voluntary stop (deadlocking Quarkus's
                // shutdown); instead a lost Lease exits through Quarkus, so the pod restarts and queues for the Lease.
                LeaderCallbacks callbacks = new LeaderCallbacks(() -> LOG.info("leading: reconciling WorkerPools"), () -> {
                    if (!stopping) {
                        LOG.error("lost the leader Lease: exiting so a fresh start can queue for it again");
                        Quarkus.asyncExit(1);
                    }
                }, leader -> LOG.infof("leader is now %s", leader));
                o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(config.leaderElection().leaseName(),
                        config.leaderElection().leaseNamespace().orElse(null), LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
                        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE, LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
                        identity(), callbacks, false));
            }
        });
        List<String> namespaces = config.namespaces().orElse(List.of()).stream().filter(s -> !s.isBlank()).toList();
        op.register(reconciler, c -> {
            c.withName("workerpool");
            // Delete events reach reconcile() too (Context.isPrimaryResourceDeleted), so per-pool state kept in memory
            // (Redis connections, autoscaler history, drain requests) is dropped with its pool, without a finalizer:
            // a finalizer would block deleting pools whenever the operator is not running.
            c.withTriggerReconcilerOnAllEvents(true);
            if (namespaces.isEmpty()) {
                c.watchingAllNamespaces();
            } else {
                c.settingNamespaces(new HashSet<>(namespaces));
            }
        });
        op.start();
        operator = op;
        LOG.infof("reservoir operator started, watching %s", namespaces.isEmpty() ? "all namespaces" : namespaces);
    }

    public synchronized void stop() {
        if (operator != null) {
            stopping = true;
            try {
                operator.stop();
            } finally {
                operator = null;
                stopping = false;
            }
        }
    }

    /** The pod name in a cluster (HOSTNAME), else a random id: two replicas must never share one. */
    private static String identity() {
        String host = System.getenv("HOSTNAME");
        return (host == null || host.isBlank() ? "reservoir-operator" : host) + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Null before start and after stop. */
    public synchronized Operator operator() {
        return operator;
    }
}
