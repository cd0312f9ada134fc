package dev.reservoir.operator.model;

import dev.reservoir.api.SpecSettings;
import dev.reservoir.api.v1alpha1.PodTemplateOverrides;
import dev.reservoir.api.v1alpha1.QueueSpec;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.spec.PoolSettings;
import dev.reservoir.spec.Setting;
import dev.reservoir.spec.SettingReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies defaults and checks a WorkerPool spec the way the CRD schema does (and a bit more), so
 * a bad spec gives one clear message per field even where no API server validated it (an older CRD,
 * the test API server, a client that skipped validation). The pool's settings are read with the one
 * definition local mode and the worker use ({@link SpecSettings}); what only matters on Kubernetes
 * (image, Redis Secret, autoscaling, pod template) is checked here. Pure.
 */
public final class SpecResolver {

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
        // Fields that could not be read at all (wrong type, unknown) read as left out; each is named here.
        errors.addAll(s.readProblems());
        SettingReader reader = SpecSettings.reader(s, errors);
        int replicas = (int) reader.count(Setting.REPLICAS);
        String image = s.image;
        if (image == null || image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
            errors.add("spec.image: required: set the worker image, e.g. reservoir-worker:0.1.0");
        }
        PoolSettings settings = PoolSettings.read(reader);
        QueueSpec q = s.queue;
        String url = null;
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
        ResolvedSpec.Autoscaling autoscaling = null;
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
        return new Result(new ResolvedSpec(replicas, image, settings, url, q.redis.passwordSecretRef, autoscaling, t), List.of());
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
