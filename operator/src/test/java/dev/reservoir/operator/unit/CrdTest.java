package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CRD generated from the classes at build time: it is what users install, so its schema is
 * checked here (the test API server does no validation), and deploy/crds/ must be an exact copy.
 */
class CrdTest {
    static final Path GENERATED = Path.of("target/classes/META-INF/fabric8/workerpools.reservoir.dev-v1.yml");
    static final Path COPY = Path.of(System.getProperty("reservoir.repo.root", ".."), "deploy/crds/workerpools.reservoir.dev-v1.yml");

    @Test
    void deployCopyMatchesTheGeneratedCrd() throws IOException {
        assertThat(GENERATED).exists();
        assertThat(COPY).as("deploy/crds copy").exists();
        assertThat(Files.readString(COPY))
                .as("deploy/crds/workerpools.reservoir.dev-v1.yml drifted from the classes; refresh it with:"
                        + " ./mvnw -B -pl operator process-classes && cp operator/%s deploy/crds/", GENERATED)
                .isEqualTo(Files.readString(GENERATED));
    }

    private static CustomResourceDefinitionVersion version() throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(GENERATED), CustomResourceDefinition.class);
        assertThat(crd.getSpec().getGroup()).isEqualTo("reservoir.dev");
        assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("wp");
        return crd.getSpec().getVersions().getFirst();
    }

    @Test
    void scaleAndStatusSubresources() throws IOException {
        CustomResourceDefinitionVersion v = version();
        assertThat(v.getName()).isEqualTo("v1alpha1");
        assertThat(v.getSubresources().getStatus()).isNotNull();
        assertThat(v.getSubresources().getScale().getSpecReplicasPath()).isEqualTo(".spec.replicas");
        assertThat(v.getSubresources().getScale().getStatusReplicasPath()).isEqualTo(".status.replicas");
        assertThat(v.getSubresources().getScale().getLabelSelectorPath()).isEqualTo(".status.selector");
        assertThat(v.getAdditionalPrinterColumns()).extracting(c -> c.getName())
                .containsExactlyInAnyOrder("Desired", "Ready", "Busy", "Backlog", "Age");
    }

    @Test
    void everyFieldIsDescribedAndDefaultsAndRulesAreInTheSchema() throws IOException {
        JSONSchemaProps root = version().getSchema().getOpenAPIV3Schema();
        JSONSchemaProps spec = root.getProperties().get("spec");
        assertDescribed("spec", spec);
        assertDescribed("status", root.getProperties().get("status"));
        Map<String, JSONSchemaProps> p = spec.getProperties();
        assertThat(spec.getRequired()).contains("image", "queue");
        assertThat(p.get("replicas").getDefault().asInt()).isEqualTo(1);
        assertThat(p.get("threads").getMinimum()).isEqualTo(1.0);
        assertThat(p.get("threadMode").getPattern()).isEqualTo("^(platform|virtual)$");
        assertThat(p.get("dispatch").getPattern()).isEqualTo("^(SharedQueue|RoundRobin|Random)$");
        assertThat(p.get("drainTimeout").getPattern()).isNotBlank();
        assertThat(p.get("memoryPool").getXKubernetesValidations()).extracting(ValidationRule::getRule)
                .anySatisfy(r -> assertThat(r).contains("self.maxBlocks >= self.blocks"));
        // blocks and maxBlocks have no default: the API server must not fill them in, so the worker derives them from
        // threads + prefetch. Limits are the worker's.
        Map<String, JSONSchemaProps> memory = p.get("memoryPool").getProperties();
        assertThat(memory.get("blockSize").getDefault().asText()).isEqualTo("64Ki");
        assertThat(memory.get("blocks").getDefault()).isNull();
        assertThat(memory.get("maxBlocks").getDefault()).isNull();
        assertThat(memory.get("blocks").getMinimum()).isEqualTo(1.0);
        assertThat(memory.get("blocks").getMaximum()).isEqualTo(1048576.0);
        assertThat(memory.get("maxBlocks").getMinimum()).isEqualTo(1.0);
        assertThat(memory.get("maxBlocks").getMaximum()).isEqualTo(4194304.0);
        assertThat(p.get("autoscaling").getXKubernetesValidations()).extracting(ValidationRule::getRule)
                .containsExactly("self.minReplicas <= self.maxReplicas");
        JSONSchemaProps stabilization = p.get("autoscaling").getProperties().get("scaleDownStabilizationSeconds");
        assertThat(stabilization.getDefault().asInt()).isEqualTo(300);
        assertThat(stabilization.getMinimum()).isEqualTo(0.0);
        assertThat(stabilization.getMaximum()).isEqualTo(3600.0);
        assertThat(p.get("template").getXKubernetesValidations()).extracting(ValidationRule::getMessage)
                .anySatisfy(m -> assertThat(m).contains("RESERVOIR_"));
        assertThat(p.get("queue").getProperties().get("redis").getRequired()).containsExactly("url");
    }

    /** Every field the user or kubectl explain sees has a description (fabric8's own model types included). */
    private static void assertDescribed(String path, JSONSchemaProps props) {
        if (path.startsWith("spec.template.") && path.split("\\.").length > 3) {
            return; // inside Kubernetes' own types (affinity, resources...): described by Kubernetes' docs
        }
        if (!path.equals("spec") && !path.equals("status")) {
            assertThat(props.getDescription()).as("description of " + path).isNotBlank();
        }
        if (props.getProperties() != null) {
            props.getProperties().forEach((name, child) -> assertDescribed(path + "." + name, child));
        }
    }
}
