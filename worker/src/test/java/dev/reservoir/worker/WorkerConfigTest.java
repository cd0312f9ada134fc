package dev.reservoir.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.reservoir.spec.ThreadMode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {

    @Test
    void defaultsAreSensible() {
        WorkerConfig c = WorkerConfig.fromEnvironment(Map.of(), new String[0]);
        assertThat(c.pool()).isEqualTo("default");
        assertThat(c.prefetch()).isEqualTo(1);
        assertThat(c.blockSize()).isEqualTo(65536);
        assertThat(c.maxBlocks()).isGreaterThanOrEqualTo(c.blocks());
        assertThat(c.visibilityTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxAttempts()).isEqualTo(3);
        assertThat(c.redis().toString()).isEqualTo("redis://127.0.0.1:6379");
    }

    @Test
    void flagsOverrideEnvironment() {
        WorkerConfig c = WorkerConfig.fromEnvironment(Map.of("RESERVOIR_THREADS", "2"), new String[] {"--threads=6", "--thread-mode=virtual"});
        assertThat(c.threads()).isEqualTo(6);
        assertThat(c.threadMode()).isEqualTo(ThreadMode.VIRTUAL);
    }

    @Test
    void everyBadValueIsReportedWithItsName() {
        var e = catchThrowableOfType(WorkerConfig.InvalidConfigException.class, () -> WorkerConfig.fromEnvironment(Map.of(
                "RESERVOIR_THREADS", "0",
                "RESERVOIR_THREAD_MODE", "green",
                "RESERVOIR_MEMORY_BLOCK_SIZE", "64KB",
                "RESERVOIR_MEMORY_BLOCKS", "100", "RESERVOIR_MEMORY_MAX_BLOCKS", "10",
                "RESERVOIR_VISIBILITY_TIMEOUT", "soon",
                "RESERVOIR_REDIS_URL", "http://x",
                "RESERVOIR_POOL", "Bad_Pool"), new String[] {"oops"}));
        assertThat(e.problems()).hasSize(8);
        assertThat(e.getMessage())
                .contains("RESERVOIR_THREADS: 0 is out of range: use 1 to 1024")
                .contains("RESERVOIR_THREAD_MODE: 'green' is not one of platform, virtual")
                .contains("RESERVOIR_MEMORY_BLOCK_SIZE: '64KB' is not a size")
                .contains("RESERVOIR_MEMORY_MAX_BLOCKS: 10 is less than blocks (100)")
                .contains("RESERVOIR_VISIBILITY_TIMEOUT: 'soon' is not a duration")
                .contains("must start with redis:// or rediss://")
                .contains("RESERVOIR_POOL: pool name 'Bad_Pool' is not valid")
                .contains("argument 'oops' is not understood");
    }

    @Test
    void passwordComesFromItsOwnVariableAndIsNeverPrinted() {
        WorkerConfig c = WorkerConfig.fromEnvironment(Map.of("RESERVOIR_REDIS_URL", "redis://redis:6380",
                "RESERVOIR_REDIS_PASSWORD", "s3cret"), new String[0]);
        assertThat(c.redis().password()).isEqualTo("s3cret");
        assertThat(c.toString()).doesNotContain("s3cret");
    }

    @Test
    void httpTokenIsAWorkerSettingThatIsNeverPrinted() {
        assertThat(WorkerConfig.fromEnvironment(Map.of(), new String[0]).httpToken()).as("unset: loopback-only drain").isNull();
        WorkerConfig c = WorkerConfig.fromEnvironment(Map.of("RESERVOIR_HTTP_TOKEN", "t0ken-value"), new String[0]);
        assertThat(c.httpToken().admits("Bearer t0ken-value")).isTrue();
        assertThat(c.httpToken().admits("Bearer t0ken-valu")).isFalse();
        assertThat(c.httpToken().admits(null)).isFalse();
        assertThat(c.toString()).doesNotContain("t0ken-value");
        var e = catchThrowableOfType(WorkerConfig.InvalidConfigException.class,
                () -> WorkerConfig.fromEnvironment(Map.of("RESERVOIR_HTTP_TOKEN", ""), new String[0]));
        assertThat(e.getMessage()).contains("RESERVOIR_HTTP_TOKEN is set but empty");
    }

    @Test
    void theWorkersOwnDurationsAreBoundedAndNamed() {
        // Found by an outside review: 0ms killed the main thread and left the JVM running; huge values overflowed.
        var e = catchThrowableOfType(WorkerConfig.InvalidConfigException.class, () -> WorkerConfig.fromEnvironment(Map.of(
                "RESERVOIR_HEARTBEAT_INTERVAL", "0ms",
                "RESERVOIR_MEMORY_WAIT", "3000000000000h",
                "RESERVOIR_TASK_TIMEOUT", "99999999999999999h",
                "RESERVOIR_HTTP_PORT", "99999"), new String[0]));
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "RESERVOIR_HEARTBEAT_INTERVAL: 0ms is out of range: use 100ms to 1m",
                "RESERVOIR_MEMORY_WAIT: 3000000000000h is out of range: use 0s to 1h",
                "RESERVOIR_TASK_TIMEOUT: '99999999999999999h' is not a duration: use a number and a unit, e.g. 500ms, 30s, 2m, 1h",
                "RESERVOIR_HTTP_PORT: 99999 is out of range: use -1 to 65535");
    }
}
