package dev.reservoir.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The end-to-end targets: one table in code, the same one in docs/benchmarks.md. */
class TargetTest {
    static final Path DOC = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/benchmarks.md");

    @Test
    void docsBenchmarksShowsTheTargetTable() throws IOException {
        assertThat(Files.readString(DOC)).as("docs/benchmarks.md must show this table as it is (copy it from here):\n"
                + Target.markdownTable()).contains(Target.markdownTable());
    }

    @Test
    void eachBoundIsMetOnItsSideOfTheLimit() {
        assertThat(Target.NOOP_THROUGHPUT.metBy(40_000)).isTrue();
        assertThat(Target.NOOP_THROUGHPUT.metBy(39_999)).isFalse();
        assertThat(Target.LATENCY_P50.metBy(0.499)).isTrue();
        assertThat(Target.LATENCY_P50.metBy(0.5)).as("below: the limit itself misses").isFalse();
        assertThat(Target.SLEEP_OVERHEAD.metBy(1.3)).isTrue();
        assertThat(Target.SLEEP_OVERHEAD.metBy(1.31)).isFalse();
        assertThat(Target.CPU_EFFICIENCY.text()).isEqualTo(">= 0.90");
        assertThat(Target.of("latency", "p99_ms")).contains(Target.LATENCY_P99);
        assertThat(Target.of("cpu", "tasks_per_s")).as("only noop's throughput has a target").isEmpty();
    }
}
