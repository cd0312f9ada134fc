package dev.reservoir.operator.model;

import dev.reservoir.api.v1alpha1.AutoscalingSpec;
import dev.reservoir.api.v1alpha1.Defaults;
import dev.reservoir.api.v1alpha1.Dispatch;
import dev.reservoir.api.v1alpha1.MemoryPoolSpec;
import dev.reservoir.api.v1alpha1.PodTemplateOverrides;
import dev.reservoir.api.v1alpha1.QueueSpec;
import dev.reservoir.api.v1alpha1.ThreadMode;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import dev.reservoir.protocol.MemoryPoolDefaults;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.Quantities;
import dev.reservoir.redis.RedisEndpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Applies defaults and checks a WorkerPool spec the way the CRD schema does (and a bit more), so
 * a bad spec gives one clear message per field even where no API server validated it (an older CRD,
 * the test API server, a client that skipped validation). Pure.
 */
public final class SpecResolver {

    /** memoryPool limits: what the worker accepts (WorkerConfig). */
    static final long MIN_BLOCK_SIZE = 64;
    static final long MAX_BLOCK_SIZE = 64L << 20;
    static final int MAX_BLOCKS = 1 << 20;
    static final int MAX_MAX_BLOCKS = 1 << 22;

    private SpecResolver() {
    }

    /** Either a resolved spec or the list of problems, each naming the field and what to do. */
    public record Result(ResolvedSpec spec, List<String> errors) {
        public boolean valid() {
            return errors.isEmpty();
        }

        public String message() {
            return String.join("; ", errors);
        }
    }

    public static Result resolve(WorkerPool pool) {
        List<String> errors = new ArrayList<>();
        String name = pool.getMetadata().getName();
        try {
            new PoolKeys(name);
        } catch (IllegalArgumentException e) {
            errors.add("metadata.name: " + e.getMessage());
        }
        WorkerPoolSpec s = pool.getSpec();
        if (s == null) {
            errors.add("spec: missing: set at least spec.image and spec.queue.redis.url");
            return new Result(null, errors);
        }
        int replicas = range(errors, "spec.replicas", s.replicas, Defaults.REPLICAS, 0, 10000);
        String image = s.image;
        if (image == null || image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
            errors.add("spec.image: required: set the worker image, e.g. reservoir-worker:0.1.0");
        }
        int threads = range(errors, "spec.threads", s.threads, Defaults.THREADS, 1, 1024);
        ThreadMode threadMode = s.threadMode == null ? ThreadMode.PLATFORM : s.threadMode;
        int prefetch = range(errors, "spec.prefetch", s.prefetch, Defaults.PREFETCH, 0, 1024);
        MemoryPoolSpec mp = s.memoryPool == null ? new MemoryPoolSpec() : s.memoryPool;
        long blockSize = parse(errors, () -> Quantities.parseBytes("spec.memoryPool.blockSize",
                mp.blockSize == null ? Defaults.BLOCK_SIZE : mp.blockSize), 64L << 10);
        // The limits the worker accepts (WorkerConfig), so a spec valid here starts a worker; local mode checks the same.
        if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
            errors.add("spec.memoryPool.blockSize: " + mp.blockSize + " is out of range: use 64 bytes to 64Mi");
        }
        int problemsBefore = errors.size();
        Integer blocks = mp.blocks == null ? null : range(errors, "spec.memoryPool.blocks", mp.blocks, "0", 1, MAX_BLOCKS);
        Integer maxBlocks = mp.maxBlocks == null ? null : range(errors, "spec.memoryPool.maxBlocks", mp.maxBlocks, "0", 1, MAX_MAX_BLOCKS);
        // Compared only when both are in range: a clamped out-of-range value would add a second, misleading message.
        if (maxBlocks != null && errors.size() == problemsBefore) {
            if (blocks != null && maxBlocks < blocks) {
                errors.add("spec.memoryPool.maxBlocks: " + maxBlocks + " is less than blocks (" + blocks + "): raise maxBlocks");
            } else if (blocks == null && maxBlocks < MemoryPoolDefaults.blocks(threads, prefetch)) {
                errors.add("spec.memoryPool.maxBlocks: " + maxBlocks + " is less than blocks (" + MemoryPoolDefaults.blocks(threads, prefetch)
                        + ", derived by the worker as max(16, 2 x (threads + prefetch))): raise maxBlocks or set blocks");
            }
        }
        QueueSpec q = s.queue;
        String url = null;
        Duration visibility = Duration.ofSeconds(30);
        int maxAttempts = 3;
        if (q == null || q.redis == null || q.redis.url == null || q.redis.url.isBlank()) {
            errors.add("spec.queue.redis.url: required: set the Redis URL, e.g. redis://redis:6379");
        } else {
            url = q.redis.url.trim();
            if (url.length() > 2048) {
                errors.add("spec.queue.redis.url: longer than 2048 characters");
            }
            try {
                RedisEndpoint endpoint = RedisEndpoint.parse(url, null);
                if (endpoint.password() != null) {
                    errors.add("spec.queue.redis.url: carries a password: put it in a Secret and set spec.queue.redis.passwordSecretRef");
                }
            } catch (IllegalArgumentException e) {
                errors.add("spec.queue.redis.url: " + e.getMessage());
            }
            if (q.redis.passwordSecretRef != null && (blank(q.redis.passwordSecretRef.name) || blank(q.redis.passwordSecretRef.key))) {
                errors.add("spec.queue.redis.passwordSecretRef: set both name and key of the Secret holding the password");
            }
        }
        if (q != null) {
            visibility = parse(errors, () -> Quantities.parseDuration("spec.queue.visibilityTimeout",
                    q.visibilityTimeout == null ? Defaults.VISIBILITY_TIMEOUT : q.visibilityTimeout), visibility);
            if (visibility.isZero()) {
                errors.add("spec.queue.visibilityTimeout: must be more than 0, e.g. 30s");
            }
            maxAttempts = range(errors, "spec.queue.maxAttempts", q.maxAttempts, Defaults.MAX_ATTEMPTS, 1, 100);
        }
        Dispatch dispatch = s.dispatch == null ? Dispatch.SharedQueue : s.dispatch;
        long maxTasks = s.maxTasksPerWorker == null ? 0 : s.maxTasksPerWorker;
        if (maxTasks < 0) {
            errors.add("spec.maxTasksPerWorker: " + maxTasks + " is negative: use 0 (never recycle) or a positive count");
        }
        Duration drain = parse(errors, () -> Quantities.parseDuration("spec.drainTimeout",
                s.drainTimeout == null ? Defaults.DRAIN_TIMEOUT : s.drainTimeout), Duration.ofSeconds(60));
        if (drain.toSeconds() > 86_400) {
            errors.add("spec.drainTimeout: " + s.drainTimeout + " is longer than a day: use at most 24h");
        }
        ResolvedSpec.Autoscaling autoscaling = null;
        AutoscalingSpec a = s.autoscaling;
        if (a != null) {
            int min = range(errors, "spec.autoscaling.minReplicas", a.minReplicas, Defaults.MIN_REPLICAS, 0, 10000);
            if (a.maxReplicas == null) {
                errors.add("spec.autoscaling.maxReplicas: required when autoscaling is set");
            }
            int max = range(errors, "spec.autoscaling.maxReplicas", a.maxReplicas, "1", 1, 10000);
            int target = range(errors, "spec.autoscaling.targetBacklogPerWorker", a.targetBacklogPerWorker,
                    Defaults.TARGET_BACKLOG_PER_WORKER, 1, 1_000_000);
            int stabilization = range(errors, "spec.autoscaling.scaleDownStabilizationSeconds", a.scaleDownStabilizationSeconds,
                    Defaults.SCALE_DOWN_STABILIZATION_SECONDS, 0, 3600);
            if (min > max) {
                errors.add("spec.autoscaling.minReplicas: " + min + " exceeds maxReplicas (" + max + ")");
            }
            autoscaling = new ResolvedSpec.Autoscaling(min, max, target, Duration.ofSeconds(stabilization));
        }
        PodTemplateOverrides t = s.template == null ? new PodTemplateOverrides() : s.template;
        if (t.env != null && t.env.size() > 128) {
            errors.add("spec.template.env: " + t.env.size() + " variables; at most 128: put bulk configuration in a ConfigMap file");
        }
        if (t.labels != null && t.labels.size() > 64) {
            errors.add("spec.template.labels: " + t.labels.size() + " labels; at most 64");
        }
        if (t.env != null) {
            t.env.stream().filter(e -> e.getName() != null && e.getName().startsWith("RESERVOIR_")).forEach(e -> errors.add(
                    "spec.template.env: " + e.getName() + " is set by the operator from the WorkerPool fields: remove it from template.env"));
        }
        if (t.labels != null) {
            t.labels.keySet().stream().filter(k -> k.startsWith("reservoir.dev/") || k.startsWith("app.kubernetes.io/")).forEach(
                    k -> errors.add("spec.template.labels: " + k + " uses a prefix the operator selects its pods by: rename it"));
        }
        if (!errors.isEmpty()) {
            return new Result(null, List.copyOf(errors));
        }
        return new Result(new ResolvedSpec(replicas, image, threads, threadMode, prefetch, blockSize, blocks, maxBlocks, url,
                q.redis.passwordSecretRef, visibility, maxAttempts, dispatch, maxTasks, drain, autoscaling, t), List.of());
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static int range(List<String> errors, String field, Number value, String defaultValue, long min, long max) {
        long v = value == null ? Long.parseLong(defaultValue) : value.longValue();
        if (v < min || v > max) {
            errors.add(field + ": " + v + " is out of range: use " + min + " to " + max);
            return (int) Math.max(min, Math.min(max, v));
        }
        return (int) v;
    }

    private static <T> T parse(List<String> errors, Supplier<T> parser, T fallback) {
        try {
            return parser.get();
        } catch (IllegalArgumentException | ArithmeticException e) {
            errors.add(e.getMessage());
            return fallback;
        }
    }
}
