package dev.reservoir.operator.runtime;

import dev.reservoir.api.v1alpha1.WorkerPool;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.Cloner;

/**
 * JOSDK's copy of a resource from its cache (a serialization round trip, as its default), keeping
 * what a WorkerPool's spec could not read: the round trip drops those fields, and with them the
 * reason the pool is invalid.
 */
final class PoolCloner implements Cloner {
    private final KubernetesSerialization serialization;

    PoolCloner(KubernetesSerialization serialization) {
        this.serialization = serialization;
    }

    @Override
    public <R extends HasMetadata> R clone(R object) {
        R copy = serialization.clone(object);
        if (object instanceof WorkerPool original && copy instanceof WorkerPool cloned && original.getSpec() != null
                && cloned.getSpec() != null) {
            cloned.getSpec().keepReadProblemsOf(original.getSpec());
        }
        return copy;
    }
}
