package dev.reservoir.operator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The operator's own settings (application.properties or RESERVOIR_OPERATOR_* env vars). */
@ConfigMapping(prefix = "reservoir.operator")
public interface OperatorConfig {

    /** Namespaces to watch; empty watches all (cluster-wide RBAC then). */
    Optional<List<String>> namespaces();

    /** How often each pool's queue is read from Redis (status figures, heartbeats, autoscaling). */
    @WithDefault("10s")
    Duration resyncInterval();

    /** Start the operator at application start (tests that wire their own set this false). */
    @WithDefault("true")
    boolean startOnBoot();

    /** Reconciles run at once, across all pools. */
    @WithDefault("4")
    int reconcileThreads();

    /**
     * How long the informers may stay unhealthy (a lost watch that does not come back, a missing CRD
     * or RBAC) before liveness fails and the pod is restarted: long enough to ride out an API server
     * restart, short enough that an operator that stopped watching does not sit there for ever.
     */
    @WithDefault("2m")
    Duration unhealthyInformerRestart();

    LeaderElection leaderElection();

    Drain drain();

    /** Drain requests (POST /drain to a worker pod): sent without blocking a reconcile, answers read on the next one. */
    interface Drain {
        /** How long to wait for a worker to accept a connection, and then to answer; no answer = delete its pod gracefully. */
        @WithDefault("2s")
        Duration requestTimeout();

        /** Requests open at once over all pools; more are sent on later passes. */
        @WithDefault("32")
        int maxInFlight();
    }

    interface LeaderElection {
        /** Two replicas of the operator can run: one leads (a Lease), the other waits. */
        @WithDefault("true")
        boolean enabled();

        @WithDefault("reservoir-operator")
        String leaseName();

        /** Namespace of the Lease; defaults to the operator's own namespace. */
        Optional<String> leaseNamespace();
    }
}
