package dev.reservoir.api.v1alpha1;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * Reads a WorkerPool's status so that a status the operator cannot read (written by an older or
 * newer operator, or by hand) never fails the informer's list: it reads as empty, and the operator
 * writes the status it computes on the next reconcile.
 */
final class LenientStatusDeserializer extends StdDeserializer<WorkerPoolStatus> {
    private static final JsonMapper PLAIN = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .addMixIn(WorkerPoolStatus.class, Ordinary.class)
            .build();

    @JsonDeserialize(using = JsonDeserializer.None.class)
    private abstract static class Ordinary {
    }

    LenientStatusDeserializer() {
        super(WorkerPoolStatus.class);
    }

    @Override
    public WorkerPoolStatus deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonNode node = p.readValueAsTree();
        try {
            WorkerPoolStatus status = PLAIN.treeToValue(node, WorkerPoolStatus.class);
            return status == null ? new WorkerPoolStatus() : status;
        } catch (IOException | IllegalArgumentException e) {
            return new WorkerPoolStatus();
        }
    }
}
