package dev.reservoir.local;

import dev.reservoir.client.Dispatch;
import dev.reservoir.protocol.MemoryPoolDefaults;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.Quantities;
import dev.reservoir.redis.RedisEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads a {@code WorkerPool} YAML file — the same file the operator reads — into a {@link PoolSpec}.
 * Every problem is reported at once, one per field, e.g. {@code spec.threads: must be between 1 and
 * 1024, got 0}. Unknown fields are errors (a typo would otherwise be silently ignored);
 * Kubernetes-only fields are accepted and ignored.
 */
public final class PoolSpecParser {
    static final String API_VERSION = "reservoir.dev/v1alpha1";
    static final String KIND = "WorkerPool";
    private static final Set<String> SPEC_FIELDS = Set.of("replicas", "image", "threads", "threadMode", "prefetch", "memoryPool", "queue",
            "dispatch", "maxTasksPerWorker", "drainTimeout", "autoscaling", "template", "imagePullPolicy", "resources");
    private static final Set<String> MEMORY_FIELDS = Set.of("blockSize", "blocks", "maxBlocks");
    private static final Set<String> QUEUE_FIELDS = Set.of("redis", "visibilityTimeout", "maxAttempts");
    private static final Set<String> REDIS_FIELDS = Set.of("url", "passwordSecretRef");

    private final List<String> problems = new ArrayList<>();

    private PoolSpecParser() {
    }

    public static PoolSpec parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new PoolSpecException(file.toString(), List.of("cannot read the file (" + e.getMessage() + ")"));
        }
        return parse(file.toString(), text);
    }

    public static PoolSpec parse(String source, String yaml) {
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        } catch (YAMLException e) {
            throw new PoolSpecException(source, List.of("not valid YAML: " + e.getMessage().replace('\n', ' ')));
        }
        PoolSpecParser p = new PoolSpecParser();
        PoolSpec spec = p.read(doc);
        if (!p.problems.isEmpty()) {
            throw new PoolSpecException(source, p.problems);
        }
        return spec;
    }

    private PoolSpec read(Object doc) {
        Map<String, Object> root = map("", doc);
        if (root == null) {
            problems.add("the file must hold one WorkerPool resource (apiVersion " + API_VERSION + ", kind " + KIND + ")");
            return null;
        }
        Object apiVersion = root.get("apiVersion");
        if (!API_VERSION.equals(apiVersion)) {
            problems.add("apiVersion: must be " + API_VERSION + ", got " + show(apiVersion));
        }
        Object kind = root.get("kind");
        if (!KIND.equals(kind)) {
            problems.add("kind: must be " + KIND + ", got " + show(kind));
        }
        Map<String, Object> metadata = map("metadata", root.get("metadata"));
        String name = null;
        if (metadata == null || metadata.get("name") == null) {
            problems.add("metadata.name: required (the pool's name, e.g. thumbnails)");
        } else {
            name = String.valueOf(metadata.get("name"));
            try {
                new PoolKeys(name);
            } catch (IllegalArgumentException e) {
                problems.add("metadata.name: " + e.getMessage());
            }
        }
        Map<String, Object> spec = map("spec", root.get("spec"));
        if (spec == null) {
            spec = Map.of();
        }
        unknown("spec", spec, SPEC_FIELDS);
        PoolSpec d = PoolSpec.defaults(name, 1, 8);
        int replicas = integer("spec.replicas", spec.get("replicas"), d.replicas(), 0, 256);
        int threads = integer("spec.threads", spec.get("threads"), d.threads(), 1, 1024);
        String threadMode = d.threadMode();
        if (spec.get("threadMode") != null) {
            threadMode = String.valueOf(spec.get("threadMode"));
            if (!threadMode.equals("platform") && !threadMode.equals("virtual")) {
                problems.add("spec.threadMode: must be platform or virtual, got " + show(spec.get("threadMode")));
            }
        }
        int prefetch = integer("spec.prefetch", spec.get("prefetch"), d.prefetch(), 0, 1024);

        Map<String, Object> mem = map("spec.memoryPool", spec.get("memoryPool"));
        mem = mem == null ? Map.of() : mem;
        unknown("spec.memoryPool", mem, MEMORY_FIELDS);
        // The limits the worker accepts (WorkerConfig), the same the operator checks.
        long blockSize = bytes("spec.memoryPool.blockSize", mem.get("blockSize"), d.memoryPool().blockSize(), 64, 64L << 20);
        Integer blocks = optionalInteger("spec.memoryPool.blocks", mem.get("blocks"), 1, 1 << 20);
        Integer maxBlocks = optionalInteger("spec.memoryPool.maxBlocks", mem.get("maxBlocks"), 1, 1 << 22);
        if (maxBlocks != null) {
            if (blocks != null && maxBlocks < blocks) {
                problems.add("spec.memoryPool.maxBlocks: " + maxBlocks + " is less than blocks (" + blocks + "): raise maxBlocks");
            } else if (blocks == null && maxBlocks < MemoryPoolDefaults.blocks(threads, prefetch)) {
                problems.add("spec.memoryPool.maxBlocks: " + maxBlocks + " is less than blocks (" + MemoryPoolDefaults.blocks(threads, prefetch)
                        + ", derived by the worker as max(16, 2 x (threads + prefetch))): raise maxBlocks or set blocks");
            }
        }

        Map<String, Object> queue = map("spec.queue", spec.get("queue"));
        queue = queue == null ? Map.of() : queue;
        unknown("spec.queue", queue, QUEUE_FIELDS);
        Map<String, Object> redis = map("spec.queue.redis", queue.get("redis"));
        String redisUrl = null;
        if (redis != null) {
            unknown("spec.queue.redis", redis, REDIS_FIELDS);
            if (redis.get("url") != null) {
                redisUrl = String.valueOf(redis.get("url"));
                try {
                    RedisEndpoint.parse(redisUrl, null);
                } catch (IllegalArgumentException e) {
                    problems.add("spec.queue.redis.url: " + e.getMessage());
                }
            }
        }
        Duration visibility = duration("spec.queue.visibilityTimeout", queue.get("visibilityTimeout"), d.visibilityTimeout(),
                Duration.ofSeconds(1));
        int maxAttempts = integer("spec.queue.maxAttempts", queue.get("maxAttempts"), d.maxAttempts(), 1, 1000);

        Dispatch dispatch = d.dispatch();
        if (spec.get("dispatch") != null) {
            try {
                dispatch = Dispatch.parse("spec.dispatch", String.valueOf(spec.get("dispatch")));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        long maxTasks = integer("spec.maxTasksPerWorker", spec.get("maxTasksPerWorker"), 0, 0, Integer.MAX_VALUE);
        Duration drain = duration("spec.drainTimeout", spec.get("drainTimeout"), d.drainTimeout(), Duration.ZERO);
        map("spec.autoscaling", spec.get("autoscaling"));
        map("spec.template", spec.get("template"));
        return new PoolSpec(name, replicas, threads, threadMode, prefetch, new PoolSpec.MemoryPool(blockSize, blocks, maxBlocks), redisUrl,
                visibility, maxAttempts, dispatch, maxTasks, drain);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> map(String field, Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        problems.add((field.isEmpty() ? "the document" : field) + ": must be a mapping (key: value lines), got " + show(value));
        return null;
    }

    private void unknown(String prefix, Map<String, Object> m, Set<String> known) {
        for (Object key : m.keySet()) {
            if (!known.contains(String.valueOf(key))) {
                problems.add(prefix + "." + key + ": unknown field (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    /** A whole number within [min, max], or null when the field is absent (or bad: then a problem is recorded). */
    private Integer optionalInteger(String field, Object value, int min, int max) {
        if (value == null) {
            return null;
        }
        int before = problems.size();
        int n = integer(field, value, 0, min, max);
        return problems.size() == before ? n : null;
    }

    private int integer(String field, Object value, int dflt, int min, int max) {
        if (value == null) {
            return dflt;
        }
        long n;
        if (value instanceof Integer || value instanceof Long) {
            n = ((Number) value).longValue();
        } else {
            problems.add(field + ": must be a whole number, got " + show(value));
            return dflt;
        }
        if (n < min || n > max) {
            problems.add(field + ": must be between " + min + " and " + max + ", got " + n);
            return dflt;
        }
        return (int) n;
    }

    private long bytes(String field, Object value, long dflt, long min, long max) {
        if (value == null) {
            return dflt;
        }
        long n;
        try {
            n = value instanceof Number num ? num.longValue() : Quantities.parseBytes(field, String.valueOf(value));
        } catch (IllegalArgumentException | ArithmeticException e) {
            problems.add(field + ": must be a size such as 64Ki or 1Mi, got " + show(value));
            return dflt;
        }
        if (n < min || n > max) {
            problems.add(field + ": must be between " + Quantities.formatBytes(min) + " and " + Quantities.formatBytes(max) + ", got "
                    + show(value));
            return dflt;
        }
        return n;
    }

    private Duration duration(String field, Object value, Duration dflt, Duration min) {
        if (value == null) {
            return dflt;
        }
        try {
            Duration d = Quantities.parseDuration(field, String.valueOf(value));
            if (d.compareTo(min) < 0) {
                problems.add(field + ": must be at least " + Quantities.formatDuration(min) + ", got " + show(value));
                return dflt;
            }
            return d;
        } catch (IllegalArgumentException e) {
            problems.add(field + ": must be a duration such as 500ms, 30s or 2m, got " + show(value));
            return dflt;
        }
    }

    private static String show(Object value) {
        if (value == null) {
            return "nothing";
        }
        return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
    }
}
