package dev.reservoir.api;

import dev.reservoir.api.v1alpha1.PodTemplateOverrides;
import dev.reservoir.api.v1alpha1.QueueSpec;
import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.spec.PoolSettings;
import dev.reservoir.spec.Setting;
import dev.reservoir.spec.SettingReader;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every rule a WorkerPool spec must meet, in one place, for the operator and for local mode alike: the
 * settings ({@link SpecSettings}), and the rules the CRD states in its schema and CEL
 * (autoscaling bounds, no password in the Redis URL, nothing in the template that the operator sets
 * itself). A file local mode accepts is one the operator accepts. What only the operator needs (an
 * image, a Redis URL, the pod it builds) it checks on top.
 */
public final class SpecRules {
    private SpecRules() {
    }

    /** @param scaleDownStabilization zero: scale down at once */
    public record Autoscaling(int minReplicas, int maxReplicas, int targetBacklogPerWorker, Duration scaleDownStabilization) {
    }

    /**
     * A spec read and checked; meaningful only when no problem was added.
     *
     * @param redisUrl    trimmed, or null when the spec names no Redis
     * @param autoscaling null when the spec has no autoscaling
     */
    public record Checked(int replicas, PoolSettings settings, String redisUrl, SecretKeyRef passwordSecretRef, Autoscaling autoscaling,
                          PodTemplateOverrides template) {
    }

    /** Reads and checks a spec, adding one problem per bad field (including fields that could not be read at all). */
    public static Checked check(WorkerPoolSpec s, List<String> errors) {
        errors.addAll(s.readProblems());
        SettingReader reader = SpecSettings.reader(s, errors);
        int replicas = (int) reader.count(Setting.REPLICAS);
        PoolSettings settings = PoolSettings.read(reader);
        QueueSpec q = s.queue;
        String url = null;
        SecretKeyRef secret = q == null || q.redis == null ? null : q.redis.passwordSecretRef;
        if (q != null && q.redis != null && q.redis.url != null && !q.redis.url.isBlank()) {
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
        }
        if (secret != null && (blank(secret.name) || blank(secret.key))) {
            errors.add("spec.queue.redis.passwordSecretRef: set both name and key of the Secret holding the password");
        }
        Autoscaling autoscaling = null;
        if (s.autoscaling != null) {
            int min = (int) reader.count(Setting.MIN_REPLICAS);
            if (!reader.isSet(Setting.MAX_REPLICAS)) {
                reader.problem(Setting.MAX_REPLICAS, "required when autoscaling is set");
            }
            int max = (int) reader.count(Setting.MAX_REPLICAS);
            int target = (int) reader.count(Setting.TARGET_BACKLOG_PER_WORKER);
            int stabilization = (int) reader.count(Setting.SCALE_DOWN_STABILIZATION_SECONDS);
            if (min > max && reader.isSet(Setting.MAX_REPLICAS)) {
                reader.problem(Setting.MIN_REPLICAS, min + " exceeds maxReplicas (" + max + ")");
            }
            // As the CRD's rule on WorkerPoolSpec: 0 pauses the pool, otherwise at least the autoscaler's floor.
            if (reader.isSet(Setting.REPLICAS) && replicas != 0 && replicas < min) {
                reader.problem(Setting.REPLICAS, replicas + " is below autoscaling.minReplicas (" + min + "): use 0 (paused) or at least "
                        + min);
            }
            autoscaling = new Autoscaling(min, max, target, Duration.ofSeconds(stabilization));
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
        if (t.resources != null) {
            quantities(errors, "spec.template.resources.limits", t.resources.getLimits());
            quantities(errors, "spec.template.resources.requests", t.resources.getRequests());
        }
        return new Checked(replicas, settings, url, secret, autoscaling, t);
    }

    /** A quantity the API server would accept parses; one it would not is named here rather than failing the pod build. */
    private static void quantities(List<String> errors, String field, Map<String, Quantity> values) {
        if (values == null) {
            return;
        }
        values.forEach((resource, q) -> {
            try {
                if (q == null) {
                    throw new IllegalArgumentException("empty");
                }
                Quantity.getAmountInBytes(q);
            } catch (RuntimeException e) {
                errors.add(field + "." + resource + ": '" + (q == null ? "" : q.toString())
                        + "' is not a quantity: use e.g. 512Mi, 2Gi, 500m or 2");
            }
        });
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
