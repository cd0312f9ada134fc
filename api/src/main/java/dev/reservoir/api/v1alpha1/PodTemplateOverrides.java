package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** What a user may change in the worker pods; everything else the operator sets (and hardens). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.env) || self.env.all(e, !e.name.startsWith('RESERVOIR_'))",
        message = "template.env must not set RESERVOIR_* variables: the operator sets them from the WorkerPool fields",
        reason = "FieldValueForbidden")
@ValidationRule(value = "!has(self.labels) || self.labels.all(k, !k.startsWith('reservoir.dev/') && !k.startsWith('app.kubernetes.io/'))",
        message = "template.labels must not use the reservoir.dev/ or app.kubernetes.io/ prefixes: the operator selects its pods by them",
        reason = "FieldValueForbidden")
public class PodTemplateOverrides {
    @JsonPropertyDescription("Extra labels on every worker pod.")
    @Size(max = 64) // bounds the CEL rule's cost, so the API server accepts it
    public Map<String, String> labels;

    @JsonPropertyDescription("Extra annotations on every worker pod.")
    public Map<String, String> annotations;

    @JsonPropertyDescription("Container resources. Resources left out are derived from threads and the memory pool size"
            + " (see docs/operator.md).")
    public ResourceRequirements resources;

    @JsonPropertyDescription("Extra environment variables for the worker container (not RESERVOIR_*: those come from the spec).")
    @Size(max = 128) // bounds the CEL rule's cost, so the API server accepts it
    public List<EnvVar> env;

    @JsonPropertyDescription("Node labels a worker pod must match to be scheduled.")
    public Map<String, String> nodeSelector;

    @JsonPropertyDescription("Tolerations of the worker pods.")
    public List<Toleration> tolerations;

    @JsonPropertyDescription("Affinity and anti-affinity rules of the worker pods.")
    public Affinity affinity;

    @JsonPropertyDescription("Service account the worker pods run as. Its token is mounted only when this is set.")
    public String serviceAccountName;

    @JsonPropertyDescription("Secrets for pulling the worker image from a private registry.")
    public List<LocalObjectReference> imagePullSecrets;

    @JsonPropertyDescription("When to pull the worker image: Always, IfNotPresent or Never (Kubernetes' default when left out).")
    @io.fabric8.generator.annotation.Pattern("^(Always|IfNotPresent|Never)$")
    public String imagePullPolicy;

    @JsonPropertyDescription("Priority class of the worker pods.")
    public String priorityClassName;
}
