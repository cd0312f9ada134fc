package dev.reservoir.local;

import dev.reservoir.api.SpecRules;
import dev.reservoir.api.WorkerPoolYaml;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import dev.reservoir.protocol.PoolKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code WorkerPool} file, the same file the operator reads, into the same resource classes
 * ({@link WorkerPoolYaml}) and the same settings ({@link SpecSettings}), then keeps what means
 * something on one machine ({@link PoolSpec}). Every problem is reported at once, one per field, as
 * the operator words it, e.g. {@code spec.threads: 0 is out of range: use 1 to 1024}. Unknown fields
 * are errors (a typo would otherwise be silently ignored); Kubernetes-only fields are checked for
 * shape and ignored.
 */
public final class PoolSpecParser {
    private PoolSpecParser() {
    }

    public static PoolSpec parse(Path file) {
        String text;
        try {
            if (Files.size(file) > WorkerPoolYaml.MAX_CHARS) {
                throw new PoolSpecException(file.toString(), List.of("the file is larger than " + (WorkerPoolYaml.MAX_CHARS >> 10)
                        + " KiB: a WorkerPool is a few KiB"));
            }
            text = Files.readString(file);
        } catch (IOException e) {
            throw new PoolSpecException(file.toString(), List.of("cannot read the file (" + e.getMessage() + ")"));
        }
        return parse(file.toString(), text);
    }

    public static PoolSpec parse(String source, String yaml) {
        List<String> problems = new ArrayList<>();
        WorkerPool pool = WorkerPoolYaml.read(source, yaml, problems);
        if (pool == null) {
            throw new PoolSpecException(source, problems);
        }
        String name = pool.getMetadata() == null ? null : pool.getMetadata().getName();
        if (name == null) {
            problems.add("metadata.name: required (the pool's name, e.g. thumbnails)");
        } else {
            try {
                new PoolKeys(name);
            } catch (IllegalArgumentException e) {
                problems.add("metadata.name: " + e.getMessage());
            }
        }
        WorkerPoolSpec spec = pool.getSpec() == null ? new WorkerPoolSpec() : pool.getSpec();
        // Every rule the operator applies to these fields, Kubernetes-only ones included: a file local mode accepts is one
        // the operator accepts.
        SpecRules.Checked checked = SpecRules.check(spec, problems);
        if (!problems.isEmpty()) {
            throw new PoolSpecException(source, problems);
        }
        return new PoolSpec(name, checked.replicas(), checked.settings(), checked.redisUrl());
    }
}
