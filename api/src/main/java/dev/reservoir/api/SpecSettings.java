package dev.reservoir.api;

import dev.reservoir.api.v1alpha1.AutoscalingSpec;
import dev.reservoir.api.v1alpha1.MemoryPoolSpec;
import dev.reservoir.api.v1alpha1.QueueSpec;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import dev.reservoir.spec.PoolSettings;
import dev.reservoir.spec.Setting;
import dev.reservoir.spec.SettingReader;
import java.util.List;

/**
 * Where each {@link Setting} sits in a {@link WorkerPoolSpec}: the operator and local mode read a
 * spec's settings only through here, so the two cannot differ. The switch is exhaustive, so a new
 * setting does not compile until it has its place in the resource.
 */
public final class SpecSettings {
    private SpecSettings() {
    }

    /** The raw value of a setting in a spec: what the user wrote, or null when it is left out. */
    public static Object raw(WorkerPoolSpec spec, Setting setting) {
        MemoryPoolSpec memory = spec.memoryPool == null ? new MemoryPoolSpec() : spec.memoryPool;
        QueueSpec queue = spec.queue == null ? new QueueSpec() : spec.queue;
        AutoscalingSpec autoscaling = spec.autoscaling == null ? new AutoscalingSpec() : spec.autoscaling;
        return switch (setting) {
            case REPLICAS -> spec.replicas;
            case THREADS -> spec.threads;
            case THREAD_MODE -> spec.threadMode;
            case PREFETCH -> spec.prefetch;
            case BLOCK_SIZE -> memory.blockSize;
            case BLOCKS -> memory.blocks;
            case MAX_BLOCKS -> memory.maxBlocks;
            case VISIBILITY_TIMEOUT -> queue.visibilityTimeout;
            case MAX_ATTEMPTS -> queue.maxAttempts;
            case DISPATCH -> spec.dispatch;
            case MAX_TASKS_PER_WORKER -> spec.maxTasksPerWorker;
            case DRAIN_TIMEOUT -> spec.drainTimeout;
            case TASK_TIMEOUT -> spec.taskTimeout;
            case MIN_REPLICAS -> autoscaling.minReplicas;
            case MAX_REPLICAS -> autoscaling.maxReplicas;
            case TARGET_BACKLOG_PER_WORKER -> autoscaling.targetBacklogPerWorker;
            case SCALE_DOWN_STABILIZATION_SECONDS -> autoscaling.scaleDownStabilizationSeconds;
        };
    }

    /** A reader of this spec's settings, naming problems by their path ({@code spec.threads}). */
    public static SettingReader reader(WorkerPoolSpec spec, List<String> problems) {
        return SettingReader.ofSpec(setting -> raw(spec, setting), problems);
    }

    /** The worker settings of a spec, adding a problem per bad field. */
    public static PoolSettings read(WorkerPoolSpec spec, List<String> problems) {
        return PoolSettings.read(reader(spec, problems));
    }
}
