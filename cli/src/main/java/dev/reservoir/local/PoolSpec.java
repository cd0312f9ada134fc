package dev.reservoir.local;

import dev.reservoir.protocol.WorkerEnv;
import dev.reservoir.spec.Dispatch;
import dev.reservoir.spec.PoolSettings;
import dev.reservoir.spec.ThreadMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What local mode runs: a pool's name, how many workers, what each is told ({@link PoolSettings},
 * the same reading of a WorkerPool the operator makes), and where Redis is. Read from a WorkerPool
 * file by {@link PoolSpecParser}; Kubernetes-only fields (image, autoscaling, template,
 * passwordSecretRef) are checked there and not kept.
 *
 * @param redisUrl null when the file names no Redis (local mode then starts an embedded one)
 */
public record PoolSpec(String name, int replicas, PoolSettings settings, String redisUrl) {

    /** Every default of the WorkerPool resource, with {@code replicas} and {@code threads} as given. */
    public static PoolSpec defaults(String name, int replicas, int threads) {
        return new PoolSpec(name, replicas, PoolSettings.defaults().withThreads(threads), null);
    }

    public int threads() {
        return settings.threads();
    }

    public ThreadMode threadMode() {
        return settings.threadMode();
    }

    public int prefetch() {
        return settings.prefetch();
    }

    public Duration visibilityTimeout() {
        return settings.visibilityTimeout();
    }

    public int maxAttempts() {
        return settings.maxAttempts();
    }

    public Dispatch dispatch() {
        return settings.dispatch();
    }

    public long maxTasksPerWorker() {
        return settings.maxTasksPerWorker();
    }

    public Duration drainTimeout() {
        return settings.drainTimeout();
    }

    /** The blocks a worker allocates up front, set or derived (shown; the worker gets no variable for an unset value). */
    public int effectiveBlocks() {
        return settings.effectiveBlocks();
    }

    /** The worker's cap on blocks, set or derived. */
    public int effectiveMaxBlocks() {
        return settings.effectiveMaxBlocks();
    }

    /**
     * The environment of one local worker: the pool's identity and Redis, the pool's settings by the
     * one mapping the operator's pods use too, and no HTTP endpoint (the supervisor watches processes
     * and heartbeats instead).
     */
    public Map<String, String> workerEnv(String redisUrl, String workerId) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(WorkerEnv.POOL, name);
        env.put(WorkerEnv.WORKER_ID, workerId);
        env.put(WorkerEnv.REDIS_URL, redisUrl);
        env.putAll(settings.toEnv());
        env.put(WorkerEnv.HTTP_PORT, "-1");
        return env;
    }

    public PoolSpec withRedisUrl(String url) {
        return new PoolSpec(name, replicas, settings, url);
    }

    public PoolSpec withReplicas(int n) {
        return new PoolSpec(name, n, settings, redisUrl);
    }

    public PoolSpec withPrefetch(int n) {
        return new PoolSpec(name, replicas, settings.withPrefetch(n), redisUrl);
    }

    public PoolSpec withMaxTasksPerWorker(long n) {
        return new PoolSpec(name, replicas, settings.withMaxTasksPerWorker(n), redisUrl);
    }

    public PoolSpec withDrainTimeout(Duration d) {
        return new PoolSpec(name, replicas, settings.withDrainTimeout(d), redisUrl);
    }

    public PoolSpec withVisibilityTimeout(Duration d) {
        return new PoolSpec(name, replicas, settings.withVisibilityTimeout(d), redisUrl);
    }
}
