package dev.reservoir.operator.model;

import dev.reservoir.spec.ThreadMode;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Container resources derived from threads and the memory pool, for the resources a user left out.
 * Pure. The arithmetic (also in docs/operator.md):
 * <pre>
 *   heap        = 64Mi + 16Mi x threads            (task objects, decoded payloads; capped at 8Gi)
 *   stacks      = 1Mi x threads                      (platform threads only; virtual threads live on the heap)
 *   jvm         = 160Mi                              (metaspace, code cache, GC, Redis client)
 *   off-heap    = blockSize x blocks  (request)   /  blockSize x maxBlocks (limit)
 *                 (blocks and maxBlocks as set, or as the worker derives them from threads + prefetch)
 *   memory      = jvm + heap + stacks + off-heap
 *   cpu request = 100m x threads (platform, 100m..16) or 500m (virtual); no CPU limit (throttling only hurts latency)
 * </pre>
 * The worker JVM is told the same budget through JDK_JAVA_OPTIONS (-Xmx, -XX:MaxDirectMemorySize), so
 * it fails with an OutOfMemoryError it can report instead of being OOM-killed.
 */
public record WorkerResources(long heapBytes, long stackBytes, long offHeapRequestBytes, long offHeapLimitBytes) {
    static final long MI = 1L << 20;
    static final long JVM_BYTES = 160 * MI;
    /** Room above the pool cap for direct buffers of the Redis and HTTP clients. */
    static final long DIRECT_SLACK_BYTES = 32 * MI;

    public static WorkerResources derive(ResolvedSpec spec) {
        long heap = Math.min(8192 * MI, 64 * MI + 16 * MI * spec.threads());
        long stacks = spec.threadMode() == ThreadMode.PLATFORM ? MI * spec.threads() : 0;
        return new WorkerResources(heap, stacks, spec.blockSize() * spec.effectiveBlocks(),
                spec.blockSize() * spec.effectiveMaxBlocks());
    }

    public long memoryRequestBytes() {
        return JVM_BYTES + heapBytes + stackBytes + offHeapRequestBytes;
    }

    public long memoryLimitBytes() {
        return JVM_BYTES + heapBytes + stackBytes + offHeapLimitBytes + DIRECT_SLACK_BYTES;
    }

    public static String cpuRequest(ResolvedSpec spec) {
        if (spec.threadMode() == ThreadMode.VIRTUAL) {
            return "500m";
        }
        return Math.max(100, Math.min(16_000, 100L * spec.threads())) + "m";
    }

    /** The JVM flags matching the budget. */
    public String jvmOptions() {
        return "-Xmx" + ceilMi(heapBytes) + "m -XX:MaxDirectMemorySize=" + ceilMi(offHeapLimitBytes + DIRECT_SLACK_BYTES) + "m";
    }

    /** The user's resources where given, derived values for every request or limit left out. */
    public static ResourceRequirements merge(ResolvedSpec spec, ResourceRequirements user) {
        WorkerResources r = derive(spec);
        Map<String, Quantity> requests = new LinkedHashMap<>();
        requests.put("cpu", new Quantity(cpuRequest(spec)));
        requests.put("memory", new Quantity(ceilMi(r.memoryRequestBytes()) + "Mi"));
        Map<String, Quantity> limits = new LinkedHashMap<>();
        limits.put("memory", new Quantity(ceilMi(r.memoryLimitBytes()) + "Mi"));
        if (user != null) {
            if (user.getRequests() != null) {
                requests.putAll(user.getRequests());
            }
            if (user.getLimits() != null) {
                limits.putAll(user.getLimits());
            }
        }
        // A request above its limit is rejected by the API server: lift the derived request to the user's limit.
        limits.forEach((k, limit) -> {
            Quantity request = requests.get(k);
            if (request != null && (user == null || user.getRequests() == null || !user.getRequests().containsKey(k))
                    && Quantity.getAmountInBytes(request).compareTo(Quantity.getAmountInBytes(limit)) > 0) {
                requests.put(k, limit);
            }
        });
        ResourceRequirements out = new ResourceRequirements();
        out.setRequests(requests);
        out.setLimits(limits);
        return out;
    }

    static long ceilMi(long bytes) {
        return (bytes + MI - 1) / MI;
    }
}
