package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.operator.reconciler.PasswordSecret;
import dev.reservoir.operator.status.Problem;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The Redis password from a Secret, and what the status says when there is none. */
class PasswordSecretTest {
    private final SecretKeyRef ref = new SecretKeyRef("redis", "password");

    @Test
    void theKeyIsReadFromDataOrElseStringData() {
        Secret data = new SecretBuilder().withNewMetadata().withName("redis").endMetadata()
                .addToData("password", Base64.getEncoder().encodeToString("s3cret".getBytes(StandardCharsets.UTF_8))).build();
        assertThat(PasswordSecret.of(data, ref, "jobs")).isEqualTo(new PasswordSecret.Reading("s3cret", null));
        Secret stringData = new SecretBuilder().withNewMetadata().withName("redis").endMetadata()
                .addToStringData("password", "plain").build();
        assertThat(PasswordSecret.of(stringData, ref, "jobs").password()).isEqualTo("plain");
        assertThat(PasswordSecret.of(stringData, ref, "jobs").ok()).isTrue();
    }

    @Test
    void aMissingSecretAndAMissingKeyReadTheSameAndNameOnlyWhatTheSpecSays() {
        Problem expected = new Problem(Problem.SECRET_UNREADABLE, "cannot read key password of Secret redis"
                + " (spec.queue.redis.passwordSecretRef): check it exists, holds the key, and the operator may read it");
        PasswordSecret.Reading missing = PasswordSecret.of(null, ref, "jobs");
        assertThat(missing.ok()).isFalse();
        assertThat(missing.password()).isNull();
        assertThat(missing.problem()).isEqualTo(expected);

        // The Secret exists but holds other keys: the message must not say so, nor name those keys.
        Secret otherKeys = new SecretBuilder().withNewMetadata().withName("redis").endMetadata()
                .addToStringData("pw", "x").addToData("api-token", "eA==").build();
        PasswordSecret.Reading noKey = PasswordSecret.of(otherKeys, ref, "jobs");
        assertThat(noKey.ok()).isFalse();
        assertThat(noKey.problem()).isEqualTo(expected).isEqualTo(PasswordSecret.unreadable(ref));
        assertThat(noKey.problem().message()).doesNotContain("api-token", "pw ", "jobs");
    }
}
