package dev.reservoir.operator.reconciler;

import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.operator.status.Problem;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A pool's Redis password, from the Secret that {@code spec.queue.redis.passwordSecretRef} names. Read on
 * every reconcile that needs it (one {@code GET}): a rotated Secret is then picked up without a watch on
 * Secrets, which would need cluster-wide {@code list}/{@code watch} on them instead of {@code get}.
 * {@link #of} is pure.
 */
public final class PasswordSecret {
    private PasswordSecret() {
    }

    /**
     * The password, or why there is none.
     *
     * @param password null when {@code problem} is set
     * @param problem  null when the password was read; else a {@link Problem#SECRET_MISSING} that says what to create or fix
     */
    public record Reading(String password, Problem problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    /** Reads the Secret through the API server (the informer cache holds no Secrets). */
    static Reading read(KubernetesClient client, String namespace, SecretKeyRef ref) {
        try {
            return of(client.secrets().inNamespace(namespace).withName(ref.name).get(), ref, namespace);
        } catch (KubernetesClientException e) {
            return new Reading(null, new Problem(Problem.SECRET_MISSING, "cannot read Secret " + ref.name + ": " + e.getMessage()));
        }
    }

    /** What a Secret (null: not found) gives for {@code ref}. */
    public static Reading of(Secret secret, SecretKeyRef ref, String namespace) {
        if (secret == null) {
            return new Reading(null, new Problem(Problem.SECRET_MISSING, "Secret " + ref.name + " (spec.queue.redis.passwordSecretRef) not found in"
                    + " namespace " + namespace + ": create it with the Redis password under key " + ref.key));
        }
        String password = value(secret, ref.key);
        if (password == null) {
            return new Reading(null, new Problem(Problem.SECRET_MISSING, "Secret " + ref.name + " has no key " + ref.key
                    + " (spec.queue.redis.passwordSecretRef.key): add it or point the key elsewhere"));
        }
        return new Reading(password, null);
    }

    /** The key's value: {@code data} (base64) first, then {@code stringData}; null when neither has it. */
    static String value(Secret secret, String key) {
        if (secret.getData() != null && secret.getData().get(key) != null) {
            return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
        }
        if (secret.getStringData() != null) {
            return secret.getStringData().get(key);
        }
        return null;
    }
}
