package dev.reservoir.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A pool of pre-started worker pods that consume one Redis Stream. Only annotations here: the
 * schema lives in {@link WorkerPoolSpec} and {@link WorkerPoolStatus}, and the CRD YAML is generated
 * from these classes at build time (deploy/crds/ holds the copy).
 */
@Group(WorkerPool.GROUP)
@Version(WorkerPool.VERSION)
@ShortNames("wp")
@Plural("workerpools")
@AdditionalPrinterColumn(name = "Desired", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.readyReplicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Busy", jsonPath = ".status.busyWorkers", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Backlog", jsonPath = ".status.backlog", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class WorkerPool extends CustomResource<WorkerPoolSpec, WorkerPoolStatus> implements Namespaced {
    public static final String GROUP = "reservoir.dev";
    public static final String VERSION = "v1alpha1";

    @Override
    protected WorkerPoolSpec initSpec() {
        return new WorkerPoolSpec();
    }
}
