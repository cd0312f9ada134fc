package dev.reservoir.operator.model;

import dev.reservoir.api.SpecRules;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import dev.reservoir.protocol.PoolKeys;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies defaults and checks a WorkerPool spec the way the CRD schema does (and a bit more), so
 * a bad spec gives one clear message per field even where no API server validated it (an older CRD,
 * the test API server, a client that skipped validation). Every rule local mode also applies is in
 * {@link SpecRules} (the settings by the one definition the worker uses too); what only the operator
 * needs (an image, a Redis URL, a pod it can build) is checked here. Pure.
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
        SpecRules.Checked checked = SpecRules.check(s, errors);
        String image = s.image;
        if (image == null || image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
            errors.add("spec.image: required: set the worker image, e.g. reservoir-worker:0.1.0");
        }
        if (checked.redisUrl() == null) {
            errors.add("spec.queue.redis.url: required: set the Redis URL, e.g. redis://redis:6379");
        }
        SpecRules.Autoscaling a = checked.autoscaling();
        ResolvedSpec.Autoscaling autoscaling = a == null ? null
                : new ResolvedSpec.Autoscaling(a.minReplicas(), a.maxReplicas(), a.targetBacklogPerWorker(), a.scaleDownStabilization());
        if (!errors.isEmpty()) {
            return new Result(null, List.copyOf(errors));
        }
        ResolvedSpec spec = new ResolvedSpec(checked.replicas(), image, checked.settings(), checked.redisUrl(), checked.passwordSecretRef(),
                autoscaling, checked.template());
        try {
            // What the pod build needs beyond the rules (it also runs on every reconcile): a failure here is the spec's.
            WorkerPodFactory.templateHash(pool, spec);
        } catch (RuntimeException e) {
            return new Result(null, List.of("spec.template: the worker pod cannot be built from it (" + e.getMessage() + ")"));
        }
        return new Result(spec, List.of());
    }

}
