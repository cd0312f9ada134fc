package dev.reservoir.local;

import dev.reservoir.client.Dispatch;
import dev.reservoir.protocol.MemoryPoolDefaults;
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

    /**
     * @param blockSize bytes per block
     * @param blocks    blocks allocated up front; null: left to the worker, which derives it from threads + prefetch
     * @param maxBlocks the cap the pool may grow to; null: left to the worker likewise
     */
    public record MemoryPool(long blockSize, Integer blocks, Integer maxBlocks) {
        /** No block counts: the worker derives them, as it does under the operator. */
        public static MemoryPool derived(long blockSize) {
            return new MemoryPool(blockSize, null, null);
        }
    }

    /**
     * The blocks a worker allocates up front: as set, or the worker's own default (MemoryPoolDefaults in common:
     * max(16, 2 x (threads + prefetch)), since each claimed task's payload needs a block). Computed here
     * only to check maxBlocks and to show it; the worker gets no env var for an unset value.
     */
    public int effectiveBlocks() {
        return memoryPool.blocks() != null ? memoryPool.blocks() : MemoryPoolDefaults.blocks(threads, prefetch);
    }

    /** The worker's cap on blocks: as set, or the worker's default max(blocks, 4 x (threads + prefetch)). */
    public int effectiveMaxBlocks() {
        return memoryPool.maxBlocks() != null ? memoryPool.maxBlocks() : MemoryPoolDefaults.maxBlocks(effectiveBlocks(), threads, prefetch);
    }

    /** The defaults of the WorkerPool resource, with {@code replicas} and {@code threads} as given. */
    public static PoolSpec defaults(String name, int replicas, int threads) {
        return new PoolSpec(name, replicas, threads, "platform", 1, MemoryPool.derived(64 * 1024), null, Duration.ofSeconds(30),
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
