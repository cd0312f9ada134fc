package dev.reservoir.operator.unit;

import dev.reservoir.api.v1alpha1.QueueSpec;
import dev.reservoir.api.v1alpha1.RedisSpec;
import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** Test pools: the minimal valid spec, to be varied per test. */
public final class Pools {
    private Pools() {
    }

    public static WorkerPool minimal(String name) {
        WorkerPool pool = new WorkerPool();
        pool.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("jobs").withUid("uid-" + name).withGeneration(1L).build());
        WorkerPoolSpec spec = new WorkerPoolSpec();
        spec.image = "reservoir-worker:0.1.0";
        spec.queue = new QueueSpec();
        spec.queue.redis = new RedisSpec();
        spec.queue.redis.url = "redis://redis:6379";
        spec.queue.redis.passwordSecretRef = new SecretKeyRef("redis", "password");
        pool.setSpec(spec);
        return pool;
    }
}
