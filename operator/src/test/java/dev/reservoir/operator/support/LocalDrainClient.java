package dev.reservoir.operator.support;

import dev.reservoir.operator.config.OperatorConfig;
import dev.reservoir.operator.reconciler.DrainClient;
import io.fabric8.kubernetes.api.model.Pod;
import io.quarkus.test.Mock;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * On one machine every worker process listens on its own port, not on 8080 of its own pod IP:
 * the simulated kubelet registers the port it gave each pod's worker here. Pods without a
 * registered worker (the API-server tests have no processes) are unreachable, as a pod behind a
 * NetworkPolicy would be, and the operator falls back to a graceful delete.
 */
@Mock
@Singleton
public class LocalDrainClient extends DrainClient {
    /** Pod name → HTTP port of its worker process. Written by the kubelet thread, read by reconcilers. */
    public static final Map<String, Integer> PORTS = new ConcurrentHashMap<>();

    @Inject
    public LocalDrainClient(OperatorConfig config) {
        super(config);
    }

    @Override
    protected URI drainUri(Pod pod) {
        Integer port = PORTS.get(pod.getMetadata().getName());
        return port == null ? null : URI.create("http://127.0.0.1:" + port + "/drain");
    }
}
