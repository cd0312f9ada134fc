package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.reservoir.spec.SettingDefaults;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class QueueSpec {
    @JsonPropertyDescription("The Redis server holding the pool's task stream.")
    @Required
    public RedisSpec redis;

    @JsonPropertyDescription("How long a claimed task may go without its worker renewing the claim before another worker reclaims"
            + " it (a duration: 1s to 24h, e.g. 30s, 2m). The operator hands back a dead pod's tasks at once, without waiting for this.")
    @Pattern(SettingDefaults.DURATION_PATTERN)
    @Default(SettingDefaults.VISIBILITY_TIMEOUT)
    public String visibilityTimeout;

    @JsonPropertyDescription("Attempts per task before it goes to the dead-letter stream with its last error.")
    @Min(1)
    @Max(SettingDefaults.MAX_ATTEMPTS_MAX)
    @Default(SettingDefaults.MAX_ATTEMPTS)
    public Integer maxAttempts;
}
