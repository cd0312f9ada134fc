package dev.reservoir.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
            case RESULT_TTL -> queue.resultTtl;
            case MAX_RESULTS -> queue.maxResults;
            case DEAD_LETTER_TTL -> queue.deadLetterTtl;
            case MAX_DEAD_LETTERS -> queue.maxDeadLetters;
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

    /**
     * Checks the whole-number settings in a spec as written, before it is read into the resource
     * classes, and removes the bad ones (they then read as left out): JSON/YAML readers would
     * otherwise truncate 2.5 to 2, turn "8" into 8, or fail the whole spec on 1e30, where the API
     * server's schema refuses each with its field named. Reports as {@link SettingReader} does.
     */
    public static void precheckWholeNumbers(ObjectNode spec, List<String> problems) {
        for (Setting setting : Setting.values()) {
            if (setting.kind() != Setting.Kind.COUNT) {
                continue;
            }
            String[] path = setting.field().split("\\.");
            JsonNode parent = spec;
            for (int i = 0; i < path.length - 1 && parent != null; i++) {
                parent = parent.get(path[i]);
            }
            if (!(parent instanceof ObjectNode holder) || !holder.hasNonNull(path[path.length - 1])) {
                continue;
            }
            JsonNode value = holder.get(path[path.length - 1]);
            String shown = value.isTextual() ? "'" + value.asText() + "'" : value.toString();
            if (!value.isIntegralNumber()) {
                if (value.isNumber() || value.isTextual() || value.isBoolean()) {
                    problems.add(setting.specPath() + ": " + shown + " is not a whole number: use " + setting.range());
                    holder.remove(path[path.length - 1]);
                }
                continue; // a mapping or list: the reader names it
            }
            boolean fits = value.canConvertToLong() && value.asLong() >= setting.min() && value.asLong() <= setting.max()
                    && (setting.max() > Integer.MAX_VALUE || value.canConvertToInt());
            if (!fits) {
                problems.add(setting.specPath() + ": " + shown + " is out of range: use " + setting.range());
                holder.remove(path[path.length - 1]);
            }
        }
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
