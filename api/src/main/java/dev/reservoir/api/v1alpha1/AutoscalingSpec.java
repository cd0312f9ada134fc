package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.reservoir.spec.SettingDefaults;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.minReplicas <= self.maxReplicas",
        message = "autoscaling.minReplicas must not exceed autoscaling.maxReplicas", reason = "FieldValueInvalid")
public class AutoscalingSpec {
    @JsonPropertyDescription("Fewest workers the autoscaler keeps, even with an empty queue.")
    @Min(0)
    @Max(SettingDefaults.REPLICAS_MAX)
    @Default(SettingDefaults.MIN_REPLICAS)
    public Integer minReplicas;

    @JsonPropertyDescription("Most workers the autoscaler starts.")
    @Required
    @Min(1)
    @Max(SettingDefaults.REPLICAS_MAX)
    public Integer maxReplicas;

    @JsonPropertyDescription("Queued plus running tasks one worker should have: the operator keeps"
            + " ceil((backlog + inFlight) / targetBacklogPerWorker) workers, between minReplicas and maxReplicas.")
    @Min(1)
    @Max(SettingDefaults.TARGET_BACKLOG_PER_WORKER_MAX)
    @Default(SettingDefaults.TARGET_BACKLOG_PER_WORKER)
    public Integer targetBacklogPerWorker;

    @JsonPropertyDescription("Scale-down stabilization window, as an HPA's behavior.scaleDown.stabilizationWindowSeconds: more"
            + " workers are started at once, but replicas go down only to the highest recommendation of the last this many"
            + " seconds, so a queue that is empty for a moment does not drain the pool. After an operator restart nothing is"
            + " scaled down until a whole window has been observed. 0 scales down at once.")
    @Min(0)
    @Max(SettingDefaults.SCALE_DOWN_STABILIZATION_SECONDS_MAX)
    @Default(SettingDefaults.SCALE_DOWN_STABILIZATION_SECONDS)
    public Integer scaleDownStabilizationSeconds;
}
