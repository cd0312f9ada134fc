package dev.reservoir.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every WorkerPool shipped as an example (deploy/examples/, deploy/kind/) is valid against the CRD's
 * openAPIV3Schema, checked the way `kubectl apply` (strict field validation) would: types, enums,
 * ranges, patterns, required fields, and no unknown field. The CRD's CEL rules
 * (x-kubernetes-validations) need an API server and are not evaluated here.
 */
class ExamplePoolsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path CRD = Helm.CHART.resolve("crds/workerpools.reservoir.dev-v1.yml");
    static Schema schema;

    @BeforeAll
    static void loadSchema() throws IOException {
        Map<String, Object> crd = Helm.objects(Files.readString(CRD)).getFirst();
        Object openApi = ChartTest.get(((List<?>) ChartTest.get(crd, "spec.versions")).getFirst(), "schema.openAPIV3Schema");
        ObjectNode node = (ObjectNode) JSON.valueToTree(openApi);
        strict(node, true);
        node.put("$schema", SpecificationVersion.DRAFT_4.getDialectId());
        schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4).getSchema(node.toString());
    }

    @Test
    void everyShippedPoolIsValidAgainstTheCrd() throws IOException {
        Map<String, Map<String, Object>> pools = shippedPools();
        assertThat(pools).as("WorkerPools found in deploy/examples and deploy/kind").isNotEmpty();
        Map<String, List<String>> problems = new LinkedHashMap<>();
        pools.forEach((where, pool) -> {
            List<String> errors = validate(pool);
            if (!errors.isEmpty()) {
                problems.put(where, errors);
            }
        });
        assertThat(problems).as("WorkerPools that kubectl apply would reject").isEmpty();
    }

    @Test
    void theCheckRejectsUnknownFieldsAtAnyDepthWrongTypesAndOutOfRangeValues() throws IOException {
        Map<String, Object> pool = shippedPools().values().iterator().next();
        ObjectNode base = (ObjectNode) JSON.valueToTree(pool);

        ObjectNode typo = base.deepCopy();
        ((ObjectNode) typo.get("spec")).put("replicaz", 2);
        assertThat(validate(JSON.convertValue(typo, Map.class))).anyMatch(e -> e.contains("replicaz"));

        ObjectNode nestedTypo = base.deepCopy();
        ((ObjectNode) nestedTypo.get("spec")).putObject("queue").putObject("redis").put("url", "redis://r:6379").put("passwd", "x");
        assertThat(validate(JSON.convertValue(nestedTypo, Map.class))).anyMatch(e -> e.contains("passwd"));

        ObjectNode wrongType = base.deepCopy();
        ((ObjectNode) wrongType.get("spec")).put("threads", "many");
        assertThat(validate(JSON.convertValue(wrongType, Map.class))).anyMatch(e -> e.contains("threads"));

        ObjectNode negative = base.deepCopy();
        ((ObjectNode) negative.get("spec")).put("replicas", -1);
        assertThat(validate(JSON.convertValue(negative, Map.class))).anyMatch(e -> e.contains("replicas"));
    }

    /** "file#index" → WorkerPool object, from every YAML file that holds one. */
    static Map<String, Map<String, Object>> shippedPools() throws IOException {
        Map<String, Map<String, Object>> pools = new LinkedHashMap<>();
        for (Path dir : List.of(Helm.REPO.resolve("deploy/examples"), Helm.REPO.resolve("deploy/kind"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList()) {
                    List<Map<String, Object>> docs = Helm.objects(Files.readString(f));
                    for (int i = 0; i < docs.size(); i++) {
                        if ("WorkerPool".equals(docs.get(i).get("kind"))) {
                            pools.put(Helm.REPO.relativize(f) + "#" + i, docs.get(i));
                        }
                    }
                }
            }
        }
        return pools;
    }

    static List<String> validate(Map<?, ?> pool) {
        List<String> out = new ArrayList<>();
        if (!"reservoir.dev/v1alpha1".equals(pool.get("apiVersion"))) {
            out.add("apiVersion: " + pool.get("apiVersion") + ", want reservoir.dev/v1alpha1");
        }
        ObjectNode node = JSON.valueToTree(pool);
        // The API server owns metadata's schema; the CRD's schema covers spec (and status).
        node.remove(List.of("apiVersion", "kind", "metadata"));
        for (Error e : schema.validate(node)) {
            out.add(e.getInstanceLocation() + ": " + e.getMessage());
        }
        return out;
    }

    /**
     * The CRD schema as JSON Schema with Kubernetes' rules: objects reject unknown fields unless they
     * preserve them (structural pruning + strict field validation), nullable allows null.
     */
    static void strict(ObjectNode node, boolean root) {
        if (node.path("nullable").asBoolean(false) && node.has("type")) {
            ArrayNode types = JSON.createArrayNode().add(node.get("type").asText()).add("null");
            node.set("type", types);
        }
        boolean preserve = node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (!root && node.has("properties") && !node.has("additionalProperties") && !preserve) {
            node.put("additionalProperties", false);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            JsonNode child = it.next().getValue();
            if (child instanceof ObjectNode o) {
                if (node.has("properties") && child == node.get("properties")) {
                    o.fields().forEachRemaining(p -> {
                        if (p.getValue() instanceof ObjectNode po) {
                            strict(po, false);
                        }
                    });
                } else {
                    strict(o, false);
                }
            } else if (child instanceof ArrayNode a) {
                a.forEach(el -> {
                    if (el instanceof ObjectNode eo) {
                        strict(eo, false);
                    }
                });
            }
        }
    }
}
