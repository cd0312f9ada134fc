package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reservoir.api.SpecSettings;
import dev.reservoir.api.WorkerPoolYaml;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a WorkerPool's spec so that no object can fail to deserialize: a field of the wrong type
 * or an unknown field reads as left out and is kept as a problem ({@link WorkerPoolSpec#readProblems()}),
 * which the operator reports as Degraded(InvalidSpec) naming the field. Without this, one object the
 * informer cannot read fails its whole list, and no pool of the operator is reconciled any more. The
 * API server prunes and validates, but version skew (a CRD upgrade, an operator rollback) and API
 * servers that do not validate bring exactly such objects.
 */
final class LenientSpecDeserializer extends StdDeserializer<WorkerPoolSpec> {
    /** Reads WorkerPoolSpec the ordinary way: the mix-in takes this deserializer off it, so reading does not recurse. */
    private static final JsonMapper PLAIN = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .addMixIn(WorkerPoolSpec.class, Ordinary.class)
            .build();

    @JsonDeserialize(using = JsonDeserializer.None.class)
    private abstract static class Ordinary {
    }

    LenientSpecDeserializer() {
        super(WorkerPoolSpec.class);
    }

    @Override
    public WorkerPoolSpec deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonNode node = p.readValueAsTree();
        List<String> problems = new ArrayList<>();
        WorkerPoolSpec spec = null;
        if (node != null && node.isObject()) {
            ObjectNode checked = node.deepCopy();
            SpecSettings.precheckWholeNumbers(checked, problems);
            try (JsonParser tokens = PLAIN.treeAsTokens(checked)) {
                spec = PLAIN.reader().forType(WorkerPoolSpec.class).withHandler(WorkerPoolYaml.collector(problems, "spec")).readValue(tokens);
            } catch (IOException | RuntimeException e) {
                problems.add("spec: cannot be read (" + e.getMessage().lines().findFirst().orElse(e.toString()) + ")");
            }
        } else if (node != null && !node.isNull()) {
            problems.add("spec: must be a mapping (key: value lines), got " + node);
        }
        if (spec == null) {
            spec = new WorkerPoolSpec();
        }
        spec.readProblems = List.copyOf(problems);
        return spec;
    }
}
