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

    @JsonPropertyDescription("How long a task's result is kept for get(taskId) after it finished (a duration: 1m to 168h)."
            + " Results are kept in per-minute buckets: between this and a minute more, unless maxResults drops them first.")
    @Pattern(SettingDefaults.DURATION_PATTERN)
    @Default(SettingDefaults.RESULT_TTL)
    public String resultTtl;

    @JsonPropertyDescription("Most results kept for get(taskId): beyond it the oldest minutes of results are dropped (the last"
            + " minute's are always kept). Bounds the pool's Redis memory with resultTtl.")
    @Min(SettingDefaults.MAX_RESULTS_MIN)
    @Max(SettingDefaults.MAX_RESULTS_MAX)
    @Default(SettingDefaults.MAX_RESULTS)
    public Long maxResults;

    @JsonPropertyDescription("How long a dead letter (a task that failed for good) is kept (a duration: 1m to 8760h).")
    @Pattern(SettingDefaults.DURATION_PATTERN)
    @Default(SettingDefaults.DEAD_LETTER_TTL)
    public String deadLetterTtl;

    @JsonPropertyDescription("About how many dead letters are kept; the oldest go first. Each keeps the first 1Ki of its payload.")
    @Min(SettingDefaults.MAX_DEAD_LETTERS_MIN)
    @Max(SettingDefaults.MAX_DEAD_LETTERS_MAX)
    @Default(SettingDefaults.MAX_DEAD_LETTERS)
    public Long maxDeadLetters;
}
