package dev.reservoir.operator.runtime;

import dev.reservoir.api.v1alpha1.WorkerPool;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * Writes Kubernetes Events about a pool (kubectl describe wp/NAME shows them). Best effort: an event
 * that cannot be written is logged, never fails a reconcile.
 */
@ApplicationScoped
public class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    public static final String COMPONENT = "reservoir-operator";

    private final KubernetesClient client;
    private final ReconcileMetrics metrics;

    public EventRecorder(KubernetesClient client, ReconcileMetrics metrics) {
        this.client = client;
        this.metrics = metrics;
    }

    public void normal(WorkerPool pool, String reason, String message) {
        record(pool, "Normal", reason, message);
    }

    public void warning(WorkerPool pool, String reason, String message) {
        record(pool, "Warning", reason, message);
    }

    private void record(WorkerPool pool, String type, String reason, String message) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String ns = pool.getMetadata().getNamespace();
        Event event = new EventBuilder()
                .withNewMetadata()
                .withName(pool.getMetadata().getName() + "." + Long.toHexString(System.currentTimeMillis())
                        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000)))
                .withNamespace(ns)
                .endMetadata()
                .withNewInvolvedObject()
                .withApiVersion(WorkerPool.GROUP + "/" + WorkerPool.VERSION)
                .withKind("WorkerPool")
                .withName(pool.getMetadata().getName())
                .withNamespace(ns)
                .withUid(pool.getMetadata().getUid())
                .withResourceVersion(pool.getMetadata().getResourceVersion())
                .endInvolvedObject()
                .withType(type)
                .withReason(reason)
                .withMessage(message.length() > 1000 ? message.substring(0, 1000) + "..." : message)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .build();
        try {
            client.v1().events().inNamespace(ns).resource(event).create();
            metrics.apiWrite("event");
        } catch (KubernetesClientException e) {
            LOG.warnf("could not record event %s on %s/%s: %s", reason, ns, pool.getMetadata().getName(), e.getMessage());
        }
    }
}
