package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Evaluates the CEL rules (x-kubernetes-validations) of the generated CRD with cel-java, and its
 * numeric ranges (minimum, maximum), on specs that must pass and specs that must fail: no API server
 * runs here, and the mock one does not validate.
 */
class CrdRulesTest {
    static JSONSchemaProps spec;
    static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS) // has(), all(), exists() as Kubernetes has them
            .addVar("self", SimpleType.DYN).build();
    static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

    @BeforeAll
    static void load() throws Exception {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(CrdTest.GENERATED), CustomResourceDefinition.class);
        spec = crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    }

    /**
     * The messages of every rule and range that fails on this spec (they apply where their field is
     * present, as in Kubernetes); a range failure reads like the API server's: "spec.prefetch in body
     * should be less than or equal to 1024".
     */
    static List<String> violations(String yaml) throws Exception {
        Object value = toCel(new org.yaml.snakeyaml.Yaml().load(yaml));
        List<String> failed = new ArrayList<>();
        check("spec", spec, value, failed);
        return failed;
    }

    private static void check(String path, JSONSchemaProps schema, Object value, List<String> failed) throws Exception {
        if (value == null) {
            return;
        }
        if (value instanceof Number n) {
            if (schema.getMaximum() != null && n.doubleValue() > schema.getMaximum()) {
                failed.add(path + " in body should be less than or equal to " + schema.getMaximum().longValue());
            }
            if (schema.getMinimum() != null && n.doubleValue() < schema.getMinimum()) {
                failed.add(path + " in body should be greater than or equal to " + schema.getMinimum().longValue());
            }
        }
        if (schema.getXKubernetesValidations() != null) {
            for (ValidationRule rule : schema.getXKubernetesValidations()) {
                CelAbstractSyntaxTree ast = COMPILER.compile(rule.getRule()).getAst();
                Object ok = RUNTIME.createProgram(ast).eval(Map.of("self", value));
                if (!Boolean.TRUE.equals(ok)) {
                    failed.add(rule.getMessage());
                }
            }
        }
        if (schema.getProperties() != null && value instanceof Map<?, ?> map) {
            for (Map.Entry<String, JSONSchemaProps> p : schema.getProperties().entrySet()) {
                check(path + "." + p.getKey(), p.getValue(), map.get(p.getKey()), failed);
            }
        }
    }

    /** JSON numbers as CEL ints (Long), recursively. */
    private static Object toCel(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), toCel(v)));
            return out;
        }
        if (o instanceof List<?> l) {
            return l.stream().map(CrdRulesTest::toCel).toList();
        }
        if (o instanceof Integer i) {
            return i.longValue();
        }
        return o;
    }

    @Test
    void everyRuleCompiles() {
        List<String> rules = new ArrayList<>();
        collect(spec, rules);
        assertThat(rules).hasSizeGreaterThanOrEqualTo(6);
        for (String rule : rules) {
            assertThat(COMPILER.compile(rule).getAllIssues()).as(rule).isEmpty();
        }
    }

    private static void collect(JSONSchemaProps schema, List<String> rules) {
        if (schema.getXKubernetesValidations() != null) {
            schema.getXKubernetesValidations().forEach(r -> rules.add(r.getRule()));
        }
        if (schema.getProperties() != null) {
            schema.getProperties().values().forEach(p -> collect(p, rules));
        }
    }

    @Test
    void validSpecsPass() throws Exception {
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://redis:6379'}}}")).isEmpty();
        assertThat(violations("""
                replicas: 3
                image: w
                threads: 2
                prefetch: 8
                memoryPool: {blockSize: 1Mi, blocks: 16, maxBlocks: 16}
                queue: {redis: {url: 'rediss://user@redis:6380/1', passwordSecretRef: {name: r, key: p}}}
                autoscaling: {minReplicas: 2, maxReplicas: 10}
                template: {env: [{name: LOG_LEVEL, value: debug}], labels: {team: media}}
                """)).isEmpty();
        assertThat(violations("{replicas: 0, image: w, queue: {redis: {url: 'redis://r'}}, autoscaling: {minReplicas: 2, maxReplicas: 3}}"))
                .as("0 pauses an autoscaled pool").isEmpty();
    }

    @Test
    void prefetchIsBoundedByItsRangeNotByThreads() throws Exception {
        // The worker bounds the prefetch it uses by time, so the schema only keeps it within 0-1024, as local mode does.
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, threads: 8, prefetch: 128}")).isEmpty();
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, threads: 1, prefetch: 1024}")).isEmpty();
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, threads: 8, prefetch: 1025}"))
                .containsExactly("spec.prefetch in body should be less than or equal to 1024");
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, prefetch: -1}"))
                .containsExactly("spec.prefetch in body should be greater than or equal to 0");
    }

    @Test
    void memoryPoolRangesAreTheWorkers() throws Exception {
        // Either block count may be left out (the worker derives it); the rule applies only when both are set.
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, memoryPool: {maxBlocks: 5}}")).isEmpty();
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, memoryPool: {blocks: 500}}")).isEmpty();
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, memoryPool: {blocks: 1048576, maxBlocks: 4194304}}"))
                .isEmpty();
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, memoryPool: {blocks: 1048577, maxBlocks: 4194305}}"))
                .containsExactlyInAnyOrder("spec.memoryPool.blocks in body should be less than or equal to 1048576",
                        "spec.memoryPool.maxBlocks in body should be less than or equal to 4194304");
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, memoryPool: {blocks: 0, maxBlocks: 0}}"))
                .containsExactlyInAnyOrder("spec.memoryPool.blocks in body should be greater than or equal to 1",
                        "spec.memoryPool.maxBlocks in body should be greater than or equal to 1");
    }

    @Test
    void crossFieldRulesReject() throws Exception {
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, memoryPool: {blocks: 10, maxBlocks: 5}}"))
                .containsExactly("memoryPool.maxBlocks must be at least memoryPool.blocks");
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, autoscaling: {minReplicas: 5, maxReplicas: 2}, replicas: 5}"))
                .containsExactly("autoscaling.minReplicas must not exceed autoscaling.maxReplicas");
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, autoscaling: {minReplicas: 3, maxReplicas: 9}, replicas: 1}"))
                .containsExactly("replicas must be 0 (paused) or at least autoscaling.minReplicas");
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, template: {env: [{name: RESERVOIR_THREADS, value: '9'}]}}"))
                .singleElement().asString().contains("must not set RESERVOIR_* variables");
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://r'}}, template: {labels: {'reservoir.dev/pool': x}}}"))
                .singleElement().asString().contains("template.labels must not use");
        assertThat(violations("{image: w, queue: {redis: {url: 'redis://:hunter2@redis:6379'}}}"))
                .singleElement().asString().contains("must not carry a password");
    }
}
