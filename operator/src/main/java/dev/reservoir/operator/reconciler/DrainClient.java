package dev.reservoir.operator.reconciler;

import dev.reservoir.operator.model.WorkerPodFactory;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Asks a worker to drain through its own endpoint, {@code POST /drain} on the pod IP. The worker
 * stops claiming, finishes what it holds (handing back what it cannot finish within drainTimeout)
 * and exits 0, so its pod goes Succeeded and is deleted only then: a busy worker is never killed.
 * Returns false when the worker cannot be reached (no IP yet, a NetworkPolicy, not listening); the
 * reconciler then deletes the pod gracefully, and SIGTERM starts the same drain.
 */
@ApplicationScoped
public class DrainClient {
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public boolean requestDrain(Pod pod) {
        URI uri = drainUri(pod);
        if (uri == null) {
            return false;
        }
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() / 100 == 2;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code http://<pod IP>:<container port "http">/drain}, or null while the pod has no IP. */
    protected URI drainUri(Pod pod) {
        String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
        if (ip == null || ip.isBlank()) {
            return null;
        }
        int port = pod.getSpec().getContainers().stream().filter(c -> WorkerPodFactory.CONTAINER.equals(c.getName()))
                .flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.<ContainerPort>empty() : c.getPorts().stream())
                .filter(p -> WorkerPodFactory.HTTP_PORT_NAME.equals(p.getName())).map(ContainerPort::getContainerPort).findFirst()
                .orElse(WorkerPodFactory.HTTP_PORT);
        return URI.create("http://" + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port + "/drain");
    }
}
