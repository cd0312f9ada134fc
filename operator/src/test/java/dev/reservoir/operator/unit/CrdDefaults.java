package dev.reservoir.operator.unit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reservoir.api.v1alpha1.WorkerPool;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;

/**
 * Fills in the generated CRD's schema defaults the way an API server does (a field left out of an
 * object that is present gets its default, and defaults apply inside defaulted objects), which the
 * test API server does not do.
 */
final class CrdDefaults {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CrdDefaults() {
    }

    static void apply(WorkerPool pool) {
        JSONSchemaProps spec;
        try {
            CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(CrdTest.GENERATED), CustomResourceDefinition.class);
            spec = crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ObjectNode node = JSON.valueToTree(pool.getSpec());
        fill(node, spec);
        try {
            pool.setSpec(JSON.treeToValue(node, pool.getSpec().getClass()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void fill(ObjectNode object, JSONSchemaProps schema) {
        if (schema.getProperties() == null) {
            return;
        }
        for (Map.Entry<String, JSONSchemaProps> p : schema.getProperties().entrySet()) {
            JsonNode value = object.get(p.getKey());
            if ((value == null || value.isNull()) && p.getValue().getDefault() != null) {
                object.set(p.getKey(), p.getValue().getDefault().deepCopy());
                value = object.get(p.getKey());
            }
            if (value instanceof ObjectNode child) {
                fill(child, p.getValue());
            }
        }
    }
}
