package dev.reservoir.client.local;

import dev.reservoir.client.Dispatch;
import java.time.Duration;

/**
 * What local mode takes from a {@code WorkerPool} resource (apiVersion reservoir.dev/v1alpha1): the
 * fields that mean something on one machine. Kubernetes-only fields (image, autoscaling, template,
 * passwordSecretRef) are read, checked for shape, and ignored. Parsed by {@link PoolSpecParser}.
 *
 * @param redisUrl null when the file names no Redis (local mode then starts an embedded one)
 */
public record PoolSpec(String name, int replicas, int threads, String threadMode, int prefetch, MemoryPool memoryPool,
                       String redisUrl, Duration visibilityTimeout, int maxAttempts, Dispatch dispatch, long maxTasksPerWorker,
                       Duration drainTimeout) {

    /** @param blockSize bytes per block; blocks allocated up front; maxBlocks the cap it may grow to */
    public record MemoryPool(long blockSize, int blocks, int maxBlocks) {
    }

    /** The defaults of the WorkerPool resource, with {@code replicas} and {@code threads} as given. */
    public static PoolSpec defaults(String name, int replicas, int threads) {
        return new PoolSpec(name, replicas, threads, "platform", 1, new MemoryPool(64 * 1024, 256, 1024), null, Duration.ofSeconds(30),
                3, Dispatch.SharedQueue, 0, Duration.ofSeconds(60));
    }

    public PoolSpec withRedisUrl(String url) {
        return new PoolSpec(name, replicas, threads, threadMode, prefetch, memoryPool, url, visibilityTimeout, maxAttempts, dispatch,
                maxTasksPerWorker, drainTimeout);
    }

    public PoolSpec withReplicas(int n) {
        return new PoolSpec(name, n, threads, threadMode, prefetch, memoryPool, redisUrl, visibilityTimeout, maxAttempts, dispatch,
                maxTasksPerWorker, drainTimeout);
    }

    public PoolSpec withPrefetch(int n) {
        return new PoolSpec(name, replicas, threads, threadMode, n, memoryPool, redisUrl, visibilityTimeout, maxAttempts, dispatch,
                maxTasksPerWorker, drainTimeout);
    }

    public PoolSpec withMaxTasksPerWorker(long n) {
        return new PoolSpec(name, replicas, threads, threadMode, prefetch, memoryPool, redisUrl, visibilityTimeout, maxAttempts, dispatch,
                n, drainTimeout);
    }

    public PoolSpec withDrainTimeout(Duration d) {
        return new PoolSpec(name, replicas, threads, threadMode, prefetch, memoryPool, redisUrl, visibilityTimeout, maxAttempts, dispatch,
                maxTasksPerWorker, d);
    }

    public PoolSpec withVisibilityTimeout(Duration d) {
        return new PoolSpec(name, replicas, threads, threadMode, prefetch, memoryPool, redisUrl, d, maxAttempts, dispatch,
                maxTasksPerWorker, drainTimeout);
    }
}
