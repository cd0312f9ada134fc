package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.operator.model.SpecResolver;
import dev.reservoir.operator.model.WorkerPodFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every example in deploy/examples parses as a WorkerPool, passes the operator's checks and builds a pod. */
class ExamplesTest {
    static final Path EXAMPLES = Path.of(System.getProperty("reservoir.repo.root", ".."), "deploy/examples");

    static Stream<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            List<Path> list = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
            assertThat(list).hasSizeGreaterThanOrEqualTo(3);
            return list.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("examples")
    void exampleIsAValidWorkerPool(Path file) throws IOException {
        WorkerPool pool = Serialization.unmarshal(Files.readString(file), WorkerPool.class);
        pool.getMetadata().setNamespace("default");
        SpecResolver.Result r = SpecResolver.resolve(pool);
        assertThat(r.errors()).as(file.getFileName().toString()).isEmpty();
        HasMetadata pod = WorkerPodFactory.build(pool, r.spec(), "abcde");
        assertThat(pod.getMetadata().getName()).startsWith(pool.getMetadata().getName() + "-");
    }
}
