package dev.reservoir.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.ValueInstantiator;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reservoir.api.v1alpha1.WorkerPool;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads a WorkerPool document (YAML or JSON) into the resource classes, reporting every problem
 * at once, each naming its field: unknown fields (a typo would otherwise be silently ignored),
 * values of the wrong type, a wrong apiVersion or kind. Fields of the Kubernetes types inside the
 * template (EnvVar, Affinity, ...) keep their own leniency. Bounds and defaults are not checked
 * here: {@link SpecSettings} does that, as it does for the operator.
 */
public final class WorkerPoolYaml {
    public static final String API_VERSION = WorkerPool.GROUP + "/" + WorkerPool.VERSION;
    public static final String KIND = "WorkerPool";

    /** Largest document read, in characters: a WorkerPool is a few KiB. */
    public static final int MAX_CHARS = 1 << 20;
    private static final LoadSettings LOAD = LoadSettings.builder().setAllowDuplicateKeys(false).setMaxAliasesForCollections(50)
            .setCodePointLimit(MAX_CHARS).build();
    private static final JsonMapper JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /** A document that is not a valid WorkerPool, with every problem found. */
    public static final class InvalidWorkerPoolException extends RuntimeException {
        private final List<String> problems;

        public InvalidWorkerPoolException(String source, List<String> problems) {
            super(source + ": " + String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    private WorkerPoolYaml() {
    }

    /**
     * Reads a document, throwing with every problem found.
     *
     * @param source what to call the document in messages (a file name)
     */
    public static WorkerPool read(String source, String text) {
        List<String> problems = new ArrayList<>();
        WorkerPool pool = read(source, text, problems);
        if (pool != null && pool.getSpec() != null) {
            problems.addAll(pool.getSpec().readProblems());
        }
        if (!problems.isEmpty()) {
            throw new InvalidWorkerPoolException(source, problems);
        }
        return pool;
    }

    /**
     * Reads a document, adding a problem per field outside the spec that does not fit (the spec keeps
     * its own: {@link dev.reservoir.api.v1alpha1.WorkerPoolSpec#readProblems()}, which
     * {@link SpecRules#check} reports); such a field reads as left out, so the caller can go on
     * checking values and report everything at once. Null only when the document is no mapping at all.
     */
    public static WorkerPool read(String source, String text, List<String> problems) {
        List<Object> docs = new ArrayList<>();
        try {
            // YAML as the API server's clients read it (snakeyaml-engine, as fabric8 and kubectl's YAML 1.2 core schema):
            // aliases resolved, duplicate keys refused, bounded size and alias expansion.
            for (Object d : new Load(LOAD).loadAllFromString(text)) {
                if (d != null) {
                    docs.add(d);
                }
            }
        } catch (YamlEngineException e) {
            problems.add("not valid YAML: " + e.getMessage().replace('\n', ' '));
            return null;
        }
        if (docs.size() > 1) {
            problems.add("the file holds " + docs.size() + " documents: put one WorkerPool resource in it");
            return null;
        }
        JsonNode doc = docs.isEmpty() ? null : JSON.valueToTree(docs.getFirst());
        if (!(doc instanceof ObjectNode root)) {
            problems.add("the file must hold one WorkerPool resource (apiVersion " + API_VERSION + ", kind " + KIND + ")");
            return null;
        }
        if (!API_VERSION.equals(root.path("apiVersion").asText(null))) {
            problems.add("apiVersion: must be " + API_VERSION + ", got " + show(root.get("apiVersion")));
        }
        if (!KIND.equals(root.path("kind").asText(null))) {
            problems.add("kind: must be " + KIND + ", got " + show(root.get("kind")));
        }
        return convert(root, problems);
    }

    /**
     * Converts an already parsed object (e.g. what the API server sent) into a WorkerPool, adding a
     * problem per field that does not fit instead of failing at the first.
     */
    public static WorkerPool convert(JsonNode root, List<String> problems) {
        root = root.deepCopy();
        if (root instanceof ObjectNode o) {
            // Checked by the caller; the resource class fixes its own apiVersion and kind.
            o.remove("apiVersion");
            o.remove("kind");
        }
        try (JsonParser parser = JSON.treeAsTokens(root)) {
            // The spec reads itself leniently (LenientSpecDeserializer) and keeps its own problems (readProblems).
            return JSON.reader().forType(WorkerPool.class).withHandler(new Collector(problems)).readValue(parser);
        } catch (IOException e) {
            problems.add(e.getMessage() == null ? e.toString() : firstLine(e.getMessage()));
            return null;
        }
    }

    /** A handler that adds each problem, with its path under {@code prefix}, to {@code problems} and lets reading go on. */
    public static DeserializationProblemHandler collector(List<String> problems, String prefix) {
        return new Collector(problems, prefix);
    }

    /** Records each problem with the path of its field and lets reading go on. */
    static final class Collector extends DeserializationProblemHandler {
        private final List<String> problems;
        private final String prefix;

        Collector(List<String> problems) {
            this(problems, "");
        }

        /** @param prefix the path of the object being read, e.g. "spec", so problems name the whole path */
        Collector(List<String> problems, String prefix) {
            this.problems = problems;
            this.prefix = prefix;
        }

        private String at(String path) {
            return prefix.isEmpty() ? path : path.isEmpty() ? prefix : prefix + "." + path;
        }

        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deserializer,
                                             Object beanOrClass, String propertyName) throws IOException {
            Collection<Object> known = deserializer.getKnownPropertyNames();
            // The parser is on the property's value: its context (or, for a mapping or list just opened, the parent's)
            // is the object holding the property, named by it.
            TreeSet<String> names = new TreeSet<>();
            known.forEach(k -> names.add(String.valueOf(k)));
            problems.add(at(valuePath(p)) + ": unknown field (known: " + String.join(", ", names) + ")");
            p.skipChildren();
            return true;
        }

        @Override
        public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String valueToConvert, String failureMsg) {
            problems.add(at(path(ctxt.getParser().getParsingContext())) + ": must be " + typeName(targetType) + ", got '" + valueToConvert
                    + "'");
            return null;
        }

        @Override
        public Object handleWeirdNumberValue(DeserializationContext ctxt, Class<?> targetType, Number valueToConvert, String failureMsg) {
            problems.add(at(path(ctxt.getParser().getParsingContext())) + ": must be " + typeName(targetType) + ", got " + valueToConvert);
            return null;
        }

        @Override
        public Object handleMissingInstantiator(DeserializationContext ctxt, Class<?> instClass, ValueInstantiator valueInsta,
                                                JsonParser p, String msg) throws IOException {
            // A scalar or list where a mapping belongs (memoryPool: 5).
            String got = p.currentToken() == JsonToken.START_ARRAY ? "a list" : p.getText();
            problems.add(at(valuePath(p)) + ": must be " + typeName(instClass) + ", got " + got);
            p.skipChildren();
            return null;
        }

        @Override
        public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType targetType, JsonToken t,
                                            JsonParser p, String failureMsg) throws IOException {
            String got = switch (t) {
                case START_OBJECT -> "a mapping";
                case START_ARRAY -> "a list";
                default -> p.getText();
            };
            problems.add(at(valuePath(p)) + ": must be " + typeName(targetType.getRawClass()) + ", got " + got);
            p.skipChildren();
            return null;
        }
    }

    private static String typeName(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "a mapping (key: value lines)";
    }

    /** The path of the value the parser is on; a list or mapping just opened belongs to its parent's field. */
    private static String valuePath(JsonParser p) {
        JsonStreamContext c = p.getParsingContext();
        boolean opened = p.currentToken() == JsonToken.START_ARRAY || p.currentToken() == JsonToken.START_OBJECT;
        return path(opened ? c.getParent() : c);
    }

    /** spec.memoryPool.blocks, spec.template.env[2].name */
    private static String path(JsonStreamContext context) {
        StringBuilder out = new StringBuilder();
        List<JsonStreamContext> chain = new ArrayList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            chain.add(0, c);
        }
        for (JsonStreamContext c : chain) {
            if (c.inArray()) {
                out.append('[').append(Math.max(0, c.getCurrentIndex())).append(']');
            } else if (c.getCurrentName() != null) {
                out.append(out.isEmpty() ? "" : ".").append(c.getCurrentName());
            }
        }
        return out.toString();
    }

    private static String show(JsonNode value) {
        if (value == null || value.isNull()) {
            return "nothing";
        }
        return value.isTextual() ? "'" + value.asText() + "'" : value.toString();
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
