package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class RedisSpec {
    @JsonPropertyDescription("Redis URL: redis://host:port[/db], or rediss:// for TLS. Put no password here: use passwordSecretRef.")
    @Required
    @Pattern("^rediss?://[^\\s]+$")
    @Size(max = 2048) // bounds the cost of the CEL rule's regex, so the API server accepts it
    @ValidationRule(value = "!self.matches('^rediss?://[^/@]*:[^/@]*@')",
            message = "queue.redis.url must not carry a password: put it in a Secret and set queue.redis.passwordSecretRef",
            reason = "FieldValueForbidden")
    public String url;

    @JsonPropertyDescription("The Secret key holding the Redis password. Workers get it through a secretKeyRef env var; the operator"
            + " reads it to watch the queue. Leave out when Redis needs no password.")
    public SecretKeyRef passwordSecretRef;
}
