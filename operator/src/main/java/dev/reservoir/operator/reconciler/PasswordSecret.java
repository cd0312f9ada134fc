package dev.reservoir.operator.reconciler;

import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.operator.status.Problem;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.jboss.logging.Logger;

/**
 * A pool's Redis password, from the Secret that {@code spec.queue.redis.passwordSecretRef} names. Read on
 * every reconcile that needs it (one {@code GET}): a rotated Secret is then picked up without a watch on
 * Secrets, which would need {@code list}/{@code watch} on them instead of {@code get}.
 * {@link #of} is pure.
 *
 * <p>The status and Events of a pool are read by whoever may read the pool, who may not be allowed to
 * read its namespace's Secrets. So a failed read says the same whatever went wrong (no such Secret, no
 * such key, access denied, the API server refused): only the name and key the spec already holds, never
 * whether the Secret exists or which keys it has. The operator's own log (debug) keeps the cause.
 */
public final class PasswordSecret {
    private static final Logger LOG = Logger.getLogger(PasswordSecret.class);

    private PasswordSecret() {
    }

    /**
     * The password, or why there is none.
     *
     * @param password null when {@code problem} is set
     * @param problem  null when the password was read; else a {@link Problem#SECRET_UNREADABLE} from {@link #unreadable}
     */
    public record Reading(String password, Problem problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    /** Reads the Secret through the API server (the informer cache holds no Secrets). */
    static Reading read(KubernetesClient client, String namespace, SecretKeyRef ref) {
        Secret secret;
        try {
            secret = client.secrets().inNamespace(namespace).withName(ref.name).get();
        } catch (KubernetesClientException e) {
            LOG.debugf("Secret %s/%s: HTTP %d %s", namespace, ref.name, e.getCode(), e.getMessage());
            return new Reading(null, unreadable(ref));
        }
        return of(secret, ref, namespace);
    }

    /** What a Secret (null: not found) gives for {@code ref}. */
    public static Reading of(Secret secret, SecretKeyRef ref, String namespace) {
        String password = secret == null ? null : value(secret, ref.key);
        if (password == null) {
            LOG.debugf("Secret %s/%s: %s", namespace, ref.name, secret == null ? "not found" : "no key " + ref.key);
            return new Reading(null, unreadable(ref));
        }
        return new Reading(password, null);
    }

    /** The one message for every failed read: it names only what the pool's spec says. */
    public static Problem unreadable(SecretKeyRef ref) {
        return new Problem(Problem.SECRET_UNREADABLE, "cannot read key " + ref.key + " of Secret " + ref.name
                + " (spec.queue.redis.passwordSecretRef): check it exists, holds the key, and the operator may read it");
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
