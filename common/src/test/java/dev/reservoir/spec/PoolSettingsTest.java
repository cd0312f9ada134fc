package dev.reservoir.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolSettingsTest {

    @Test
    void anEmptyEnvironmentMeansEveryDefault() {
        PoolSettings d = PoolSettings.defaults();
        assertThat(d.threads()).isEqualTo(4);
        assertThat(d.threadMode()).isEqualTo(ThreadMode.PLATFORM);
        assertThat(d.prefetch()).isEqualTo(1);
        assertThat(d.blockSize()).isEqualTo(64 * 1024);
        assertThat(d.blocks()).isNull();
        assertThat(d.maxBlocks()).isNull();
        assertThat(d.effectiveBlocks()).isEqualTo(16);
        assertThat(d.effectiveMaxBlocks()).isEqualTo(20);
        assertThat(d.visibilityTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.maxAttempts()).isEqualTo(3);
        assertThat(d.dispatch()).isEqualTo(Dispatch.SharedQueue);
        assertThat(d.maxTasksPerWorker()).isZero();
        assertThat(d.drainTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.retention()).isEqualTo(new Retention(Duration.ofHours(24), 1_000_000, Duration.ofHours(168), 100_000));
        assertThat(d.taskTimeout()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void theEnvironmentRoundTrips() {
        PoolSettings s = new PoolSettings(12, ThreadMode.VIRTUAL, 0, 1 << 20, 40, 400, Duration.ofMillis(1500), 7, Dispatch.RoundRobin,
                5000, Duration.ofMinutes(2), Duration.ofSeconds(90), new Retention(Duration.ofMinutes(90), 5000, Duration.ofHours(48), 700));
        List<String> problems = new ArrayList<>();
        assertThat(PoolSettings.fromEnv(s.toEnv(), problems)).isEqualTo(s);
        assertThat(problems).isEmpty();
        assertThat(s.toEnv()).containsEntry("RESERVOIR_MEMORY_BLOCK_SIZE", "1Mi").containsEntry("RESERVOIR_VISIBILITY_TIMEOUT", "1500ms")
                .containsEntry("RESERVOIR_THREAD_MODE", "virtual").containsEntry("RESERVOIR_DISPATCH", "RoundRobin")
                .containsEntry("RESERVOIR_RESULT_TTL", "90m").containsEntry("RESERVOIR_MAX_RESULTS", "5000")
                .containsEntry("RESERVOIR_DEAD_LETTER_TTL", "48h").containsEntry("RESERVOIR_MAX_DEAD_LETTERS", "700");
        PoolSettings derived = PoolSettings.defaults();
        assertThat(derived.toEnv()).doesNotContainKeys("RESERVOIR_MEMORY_BLOCKS", "RESERVOIR_MEMORY_MAX_BLOCKS");
        assertThat(PoolSettings.fromEnv(derived.toEnv(), problems)).isEqualTo(derived);
    }

    @Test
    void everySettingWithAWorkerVariableIsCarried() {
        PoolSettings s = new PoolSettings(2, ThreadMode.PLATFORM, 3, 4096, 17, 18, Duration.ofSeconds(9), 2, Dispatch.Random, 1,
                Duration.ZERO, Duration.ZERO, new Retention(Duration.ofHours(1), 1000, Duration.ofHours(1), 100));
        for (Setting setting : Setting.values()) {
            if (setting.env() != null) {
                assertThat(s.toEnv()).as(setting.name()).containsKey(setting.env());
            }
        }
    }

    @Test
    void problemsNameTheFieldAsTheSourceSpellsIt() {
        Map<String, Object> spec = new HashMap<>();
        spec.put("threads", 0);
        spec.put("threadMode", "turbo");
        spec.put("prefetch", "four");
        spec.put("memoryPool.blockSize", "100");
        spec.put("queue.visibilityTimeout", "500ms");
        spec.put("queue.maxAttempts", 101);
        spec.put("dispatch", "sharedqueue");
        spec.put("drainTimeout", "2d");
        spec.put("taskTimeout", "169h");
        List<String> problems = new ArrayList<>();
        PoolSettings.read(SettingReader.ofSpec(s -> spec.get(s.field()), problems));
        assertThat(problems).containsExactly(
                "spec.threads: 0 is out of range: use 1 to 1024",
                "spec.threadMode: 'turbo' is not one of platform, virtual",
                "spec.prefetch: 'four' is not a whole number: use 0 to 1024",
                "spec.memoryPool.blockSize: 100 bytes is not a multiple of 8: use e.g. 64Ki or 4096",
                "spec.queue.visibilityTimeout: 500ms is out of range: use 1s to 24h",
                "spec.queue.maxAttempts: 101 is out of range: use 1 to 100",
                "spec.dispatch: 'sharedqueue' is not one of SharedQueue, RoundRobin, Random",
                "spec.drainTimeout: '2d' is not a duration: use a number and a unit, e.g. 500ms, 30s, 2m, 1h",
                "spec.taskTimeout: 169h is out of range: use 0s to 168h");

        problems.clear();
        PoolSettings.fromEnv(Map.of("RESERVOIR_DRAIN_TIMEOUT", "3000000000000h", "RESERVOIR_VISIBILITY_TIMEOUT", "99999999999999999h"),
                problems);
        assertThat(problems).containsExactlyInAnyOrder("RESERVOIR_DRAIN_TIMEOUT: 3000000000000h is out of range: use 0s to 24h",
                "RESERVOIR_VISIBILITY_TIMEOUT: '99999999999999999h' is not a duration: use a number and a unit, e.g. 500ms, 30s, 2m, 1h");

        problems.clear();
        PoolSettings.fromEnv(Map.of("RESERVOIR_THREADS", "99999999999999999999", "RESERVOIR_MEMORY_MAX_BLOCKS", "10"), problems);
        assertThat(problems).containsExactly(
                "RESERVOIR_THREADS: '99999999999999999999' is not a whole number: use 1 to 1024",
                "RESERVOIR_MEMORY_MAX_BLOCKS: 10 is less than blocks (16, derived by the worker as max(16, 2 x (threads + prefetch))):"
                        + " raise maxBlocks or set blocks");
    }

    @Test
    void maxBlocksIsComparedWithSetBlocksOnlyWhenBothAreInRange() {
        List<String> problems = new ArrayList<>();
        PoolSettings.fromEnv(Map.of("RESERVOIR_MEMORY_BLOCKS", "0", "RESERVOIR_MEMORY_MAX_BLOCKS", "10"), problems);
        assertThat(problems).containsExactly("RESERVOIR_MEMORY_BLOCKS: 0 is out of range: use 1 to 1048576");
        problems.clear();
        PoolSettings.fromEnv(Map.of("RESERVOIR_MEMORY_BLOCKS", "100", "RESERVOIR_MEMORY_MAX_BLOCKS", "99"), problems);
        assertThat(problems).containsExactly("RESERVOIR_MEMORY_MAX_BLOCKS: 99 is less than blocks (100): raise maxBlocks");
    }

    @Test
    void theTableAgreesWithItsConstants() {
        for (Setting s : Setting.values()) {
            if (s.defaultValue() != null && s.kind() != Setting.Kind.CHOICE) {
                List<String> problems = new ArrayList<>();
                SettingReader r = new SettingReader(x -> x == s ? s.defaultValue() : null, Setting::specPath, problems);
                switch (s.kind()) {
                    case COUNT -> r.count(s);
                    case BYTES -> r.bytes(s);
                    case DURATION -> r.duration(s);
                    default -> throw new AssertionError();
                }
                assertThat(problems).as("the default of " + s + " is within its bounds").isEmpty();
            }
            if (s.kind() == Setting.Kind.CHOICE) {
                assertThat(s.choices()).as(s.name()).contains(s.defaultValue());
            }
        }
        assertThat(Setting.THREAD_MODE.choices()).containsExactly("platform", "virtual");
        for (ThreadMode m : ThreadMode.values()) {
            assertThat(Setting.THREAD_MODE.choices()).contains(m.wire());
        }
        for (Dispatch d : Dispatch.values()) {
            assertThat(Setting.DISPATCH.choices()).contains(d.name());
        }
    }
}
