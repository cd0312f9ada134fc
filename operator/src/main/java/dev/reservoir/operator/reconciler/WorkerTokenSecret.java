package dev.reservoir.operator.reconciler;

import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.operator.model.WorkerPodFactory;
import dev.reservoir.operator.status.Problem;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * The pool's worker token: the bearer token its workers require on {@code POST /drain} and {@code GET /status}
 * ({@code RESERVOIR_HTTP_TOKEN}), so that only the operator, which holds it, can drain or inspect a worker
 * (docs/operations.md). It lives in the Secret {@link PoolLabels#workerTokenSecretName} of the pool's
 * namespace, owned by the pool (garbage-collected with it), under key {@link WorkerPodFactory#WORKER_TOKEN_KEY}.
 *
 * <p>Created once, with 32 random bytes, and never changed: the operator reads it on each reconcile that
 * needs it (one {@code GET}; no watch on Secrets) and creates it only when it is missing. Two operators racing
 * to create it both end with the one that was stored (409 → read again). The value is never logged, and goes
 * into pods by {@code secretKeyRef} only, so it appears in no pod spec. {@link #desired} is pure.
 */
public final class WorkerTokenSecret {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int TOKEN_BYTES = 32;

    private WorkerTokenSecret() {
    }

    /**
     * The token, or why there is none.
     *
     * @param token   null when {@code problem} is set
     * @param problem null when the token was read or created; else a {@link Problem#SECRET_UNREADABLE} that says what to grant
     */
    public record Reading(String token, Problem problem) {
        public boolean ok() {
            return problem == null;
        }

        @Override
        public String toString() {
            return ok() ? "Reading[token set]" : "Reading[" + problem + "]";
        }
    }

    /** Reads the pool's token Secret, creating it first if it does not exist. */
    static Reading ensure(KubernetesClient client, WorkerPool pool) {
        String namespace = pool.getMetadata().getNamespace();
        String name = PoolLabels.workerTokenSecretName(pool.getMetadata().getName());
        try {
            Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
            if (existing == null) {
                try {
                    existing = client.secrets().inNamespace(namespace).resource(desired(pool, newToken())).create();
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409) {
                        throw e;
                    }
                    existing = client.secrets().inNamespace(namespace).withName(name).get(); // created by a racing operator
                }
            }
            String token = existing == null ? null : PasswordSecret.value(existing, WorkerPodFactory.WORKER_TOKEN_KEY);
            if (token == null || token.isBlank()) {
                return new Reading(null, new Problem(Problem.SECRET_UNREADABLE, "Secret " + name + " has no key " + WorkerPodFactory.WORKER_TOKEN_KEY
                        + ": delete it and the operator creates a new one (its workers then need replacing)"));
            }
            return new Reading(token, null);
        } catch (KubernetesClientException e) {
            return new Reading(null, new Problem(Problem.SECRET_UNREADABLE, "cannot read or create the workers' token Secret " + name
                    + " (the operator needs get and create on secrets in namespace " + namespace + "): " + e.getMessage()));
        }
    }

    /** The Secret holding {@code token}, owned by the pool and labelled as the operator's. */
    public static Secret desired(WorkerPool pool, String token) {
        String poolName = pool.getMetadata().getName();
        return new SecretBuilder()
                .withNewMetadata()
                .withName(PoolLabels.workerTokenSecretName(poolName))
                .withNamespace(pool.getMetadata().getNamespace())
                .withLabels(Map.of(PoolLabels.MANAGED_BY, PoolLabels.MANAGER, PoolLabels.POOL, poolName))
                .withOwnerReferences(WorkerPodFactory.ownerReference(pool))
                .endMetadata()
                .withType("Opaque")
                .withData(Map.of(WorkerPodFactory.WORKER_TOKEN_KEY,
                        Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.US_ASCII))))
                .build();
    }

    /** 32 random bytes as unpadded base64url: 43 characters that need no quoting in a header or a shell. */
    static String newToken() {
        byte[] bytes = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
