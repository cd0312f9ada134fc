package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.local.PoolSpec;
import dev.reservoir.local.PoolSpecParser;
import dev.reservoir.operator.model.SpecResolver;
import dev.reservoir.operator.model.WorkerPodFactory;
import dev.reservoir.protocol.WorkerEnv;
import dev.reservoir.worker.WorkerConfig;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One YAML, one pool: for every example in deploy/examples and a table of edge cases, the worker env
 * the operator puts on a pod and the one local mode gives a child JVM are identical (but for what is
 * per process: worker id, Redis address and password, HTTP port and token), and the worker reads both into the
 * same settings.
 */
class SettingsEquivalenceTest {
    /** Per process, not per pool: the pod's comes from its name and a Secret, a local worker's from the supervisor. */
    static final Set<String> PER_PROCESS = Set.of(WorkerEnv.WORKER_ID, WorkerEnv.REDIS_URL, WorkerEnv.REDIS_PASSWORD, WorkerEnv.HTTP_PORT,
            WorkerEnv.HTTP_TOKEN);

    static final String HEADER = "apiVersion: reservoir.dev/v1alpha1\nkind: WorkerPool\nmetadata: {name: p, namespace: default}\n";
    static final String REQUIRED = "  image: reservoir-worker:0.1.0\n  queue:\n    redis: {url: redis://redis:6379}\n";

    static Stream<Arguments> pools() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(ExamplesTest.EXAMPLES)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                cases.add(Arguments.of(f.getFileName().toString(), Files.readString(f)));
            }
        }
        Map<String, String> edges = new TreeMap<>(Map.of(
                "every field left out", "",
                "least values", "  replicas: 0\n  threads: 1\n  prefetch: 0\n  memoryPool: {blockSize: 64, blocks: 1, maxBlocks: 1}\n"
                        + "  maxTasksPerWorker: 0\n  drainTimeout: 0s\n",
                "greatest values", "  threads: 1024\n  prefetch: 1024\n  memoryPool: {blockSize: 64Mi, blocks: 1048576, maxBlocks: 4194304}\n"
                        + "  maxTasksPerWorker: 9223372036854775807\n  drainTimeout: 24h\n",
                "only maxBlocks set", "  threads: 8\n  prefetch: 128\n  memoryPool: {maxBlocks: 272}\n",
                "virtual threads and other routing", "  threadMode: virtual\n  dispatch: RoundRobin\n",
                "durations in every unit", "  drainTimeout: 1500ms\n  queue:\n    redis: {url: redis://r:1}\n    visibilityTimeout: 2m\n"
                        + "    maxAttempts: 100\n"));
        edges.forEach((name, spec) -> {
            String body = spec.contains("queue:") ? spec + "  image: reservoir-worker:0.1.0\n" : spec + REQUIRED;
            cases.add(Arguments.of(name, HEADER + "spec:\n" + body));
        });
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pools")
    void theOperatorsPodAndLocalModeGiveTheWorkerTheSameSettings(String name, String yaml) {
        WorkerPool pool = Serialization.unmarshal(yaml, WorkerPool.class);
        pool.getMetadata().setNamespace("default");
        SpecResolver.Result resolved = SpecResolver.resolve(pool);
        assertThat(resolved.errors()).as(name).isEmpty();
        Pod pod = WorkerPodFactory.build(pool, resolved.spec(), "abcde");
        Map<String, String> operatorEnv = new TreeMap<>();
        for (EnvVar e : pod.getSpec().getContainers().getFirst().getEnv()) {
            if (e.getName().startsWith("RESERVOIR_") && !PER_PROCESS.contains(e.getName())) {
                operatorEnv.put(e.getName(), e.getValue());
            }
        }

        PoolSpec local = PoolSpecParser.parse(name, yaml);
        Map<String, String> localEnv = new TreeMap<>(local.workerEnv("redis://127.0.0.1:6379", "p-1"));
        localEnv.keySet().removeAll(PER_PROCESS);

        assertThat(localEnv).as(name).isEqualTo(operatorEnv);
        assertThat(local.replicas()).as(name).isEqualTo(resolved.spec().replicas());
        assertThat(local.settings()).as(name).isEqualTo(resolved.spec().settings());

        WorkerConfig fromPod = WorkerConfig.fromEnvironment(operatorEnv, new String[0]);
        WorkerConfig fromLocal = WorkerConfig.fromEnvironment(localEnv, new String[0]);
        assertThat(fromPod.settings()).as(name).isEqualTo(fromLocal.settings()).isEqualTo(resolved.spec().settings());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pools")
    void theCrdDefaultsAreWhatALeftOutFieldMeans(String name, String yaml) {
        // The API server fills in schema defaults; the test API server does not. Either way the pool is the same.
        WorkerPool pool = Serialization.unmarshal(yaml, WorkerPool.class);
        WorkerPool defaulted = Serialization.unmarshal(yaml, WorkerPool.class);
        CrdDefaults.apply(defaulted);
        assertThat(SpecResolver.resolve(defaulted).spec().settings()).as(name).isEqualTo(SpecResolver.resolve(pool).spec().settings());
    }
}
