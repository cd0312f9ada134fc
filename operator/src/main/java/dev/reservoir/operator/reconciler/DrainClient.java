package dev.reservoir.operator.reconciler;

import dev.reservoir.operator.config.OperatorConfig;
import dev.reservoir.operator.model.WorkerPodFactory;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Asks workers to drain through their own endpoint, {@code POST /drain} on the pod IP, without ever
 * making a reconcile wait for the answer. The worker stops claiming, finishes what it holds (handing
 * back what it cannot finish within drainTimeout) and exits 0, so its pod goes Succeeded and is
 * deleted only then: a busy worker is never killed.
 *
 * <p>{@link #request} sends the POST asynchronously and returns at once; the answer is recorded per
 * pool and pod, the {@code onAnswer} callback asks for a reconcile of the pool, and that reconcile reads
 * it with {@link #outcome}. A worker that cannot be reached (no IP yet, a NetworkPolicy, not listening,
 * no answer within the timeout, not 2xx) gets {@link Outcome#FAILED}; the reconciler then deletes its pod
 * gracefully, and SIGTERM starts the same drain. So a pool with many or unreachable pods costs the
 * reconcile threads nothing, and other pools are never held up behind it.
 *
 * <p>Workers drain only for the holder of their pool's token (docs/operations.md), which every request
 * carries; a worker that answers 401 counts as FAILED like any other refusal.
 *
 * <p>Per pod: NONE → (request) IN_FLIGHT → ACCEPTED | FAILED → (forget) NONE. At most
 * {@code maxInFlight} requests are open at once over all pools; beyond that {@link #request} sends
 * nothing and returns NONE, and the reconciler asks again on a later pass.
 */
@Singleton // not @ApplicationScoped: a client proxy would need a no-args constructor, and this one opens an HttpClient
public class DrainClient {
    private static final Logger LOG = Logger.getLogger(DrainClient.class);

    public enum Outcome {
        /** Not asked (or forgotten, or not sent because too many requests are open). */
        NONE,
        /** POST /drain sent, no answer yet. */
        IN_FLIGHT,
        /** The worker answered 2xx: it drains and exits by itself. */
        ACCEPTED,
        /** No 2xx answer: not reachable, timed out, or refused. The pod should be deleted gracefully instead. */
        FAILED
    }

    /** One request's state; its identity tells a late answer for a forgotten request from the current one. */
    private static final class Attempt {
        Outcome outcome = Outcome.IN_FLIGHT;
    }

    private final Duration timeout;
    private final int maxInFlight;
    private final HttpClient http;
    /** Pool (owner id) → pod name → its latest request. Guarded by {@code this}. */
    private final Map<String, Map<String, Attempt>> attempts = new HashMap<>();
    /** Requests sent and not answered yet. Guarded by {@code this}. */
    private int inFlight;

    @Inject
    public DrainClient(OperatorConfig config) {
        this(config.drain().requestTimeout(), config.drain().maxInFlight());
    }

    public DrainClient(Duration timeout, int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("reservoir.operator.drain.max-in-flight must be at least 1, was " + maxInFlight);
        }
        this.timeout = timeout;
        this.maxInFlight = maxInFlight;
        // The client's own selector thread does the I/O; answers complete on its executor. No reconcile thread waits.
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /**
     * Asks the pod's worker to drain unless a request to it is open already. Returns at once with what is
     * known now: IN_FLIGHT (sent or already open), FAILED (the pod has no address yet), or NONE (not sent:
     * too many requests open; ask again later). {@code onAnswer} runs when the answer is in (on an HTTP
     * client thread), typically to trigger a reconcile of the pool.
     *
     * @param token the pool's worker token ({@link WorkerTokenSecret}), sent as {@code Authorization: Bearer};
     *              null sends none (the worker then answers 401, and the pod is drained by a graceful delete)
     */
    public Outcome request(String pool, Pod pod, String token, Runnable onAnswer) {
        String name = pod.getMetadata().getName();
        URI uri = drainUri(pod);
        Attempt attempt = new Attempt();
        synchronized (this) {
            Map<String, Attempt> pods = attempts.computeIfAbsent(pool, k -> new HashMap<>());
            Attempt open = pods.get(name);
            if (open != null && open.outcome == Outcome.IN_FLIGHT) {
                return Outcome.IN_FLIGHT;
            }
            if (uri == null) {
                attempt.outcome = Outcome.FAILED;
                pods.put(name, attempt);
                return Outcome.FAILED;
            }
            if (inFlight >= maxInFlight) {
                LOG.debugf("%d drain requests open: asking %s on a later pass", inFlight, name);
                return Outcome.NONE;
            }
            inFlight++;
            pods.put(name, attempt);
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(timeout).POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        HttpRequest request = builder.build();
        try {
            http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                boolean accepted = error == null && response.statusCode() / 100 == 2;
                if (!accepted) {
                    LOG.debugf("drain request to %s failed: %s", name, error != null ? error : "HTTP " + response.statusCode());
                }
                answered(pool, name, attempt, accepted ? Outcome.ACCEPTED : Outcome.FAILED);
                onAnswer.run();
            });
        } catch (RuntimeException e) {
            // The client is shut down (operator stopping) or refused the request: recorded as an answer, never thrown.
            answered(pool, name, attempt, Outcome.FAILED);
            return Outcome.FAILED;
        }
        return Outcome.IN_FLIGHT;
    }

    private synchronized void answered(String pool, String name, Attempt attempt, Outcome outcome) {
        inFlight--;
        Map<String, Attempt> pods = attempts.get(pool);
        if (pods != null && pods.get(name) == attempt) {
            attempt.outcome = outcome; // else forgotten meanwhile (pod or pool gone): the answer is moot
        }
    }

    /** What is known about the pod's latest drain request. */
    public synchronized Outcome outcome(String pool, String pod) {
        Map<String, Attempt> pods = attempts.get(pool);
        Attempt attempt = pods == null ? null : pods.get(pod);
        return attempt == null ? Outcome.NONE : attempt.outcome;
    }

    /** Done with this pod's request (acted on a failure, or the pod exited or is going away). */
    public synchronized void forget(String pool, String pod) {
        Map<String, Attempt> pods = attempts.get(pool);
        if (pods != null) {
            pods.remove(pod);
            if (pods.isEmpty()) {
                attempts.remove(pool);
            }
        }
    }

    /** Keeps only the requests to pods the pool still has. */
    public synchronized void retain(String pool, Set<String> pods) {
        Map<String, Attempt> known = attempts.get(pool);
        if (known != null) {
            known.keySet().retainAll(pods);
            if (known.isEmpty()) {
                attempts.remove(pool);
            }
        }
    }

    /** The pool was deleted. */
    public synchronized void forgetPool(String pool) {
        attempts.remove(pool);
    }

    /** Requests sent and not answered yet, over all pools. */
    public synchronized int inFlight() {
        return inFlight;
    }

    @PreDestroy
    void close() {
        http.shutdownNow();
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
