package dev.reservoir.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.reservoir.spec.Dispatch;
import dev.reservoir.spec.ThreadMode;
import dev.reservoir.protocol.WorkerEnv;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PoolSpecParserTest {
    static final String FULL = """
            apiVersion: reservoir.dev/v1alpha1
            kind: WorkerPool
            metadata: {name: thumbnails, namespace: media}
            spec:
              replicas: 4
              image: reservoir-worker:0.1.0
              threads: 8
              threadMode: virtual
              prefetch: 2
              memoryPool: {blockSize: 64Ki, blocks: 256, maxBlocks: 1024}
              queue:
                redis: {url: "redis://redis:6379", passwordSecretRef: {name: redis, key: password}}
                visibilityTimeout: 30s
                maxAttempts: 5
              dispatch: SharedQueue
              maxTasksPerWorker: 1000
              drainTimeout: 2m
              taskTimeout: 10m
              autoscaling: {minReplicas: 1, maxReplicas: 20, targetBacklogPerWorker: 16}
              template: {nodeSelector: {disk: ssd}}
            """;

    @Test
    void readsEveryLocalFieldAndIgnoresKubernetesOnlyOnes() {
        PoolSpec spec = PoolSpecParser.parse("pool.yaml", FULL);
        assertThat(spec.name()).isEqualTo("thumbnails");
        assertThat(spec.replicas()).isEqualTo(4);
        assertThat(spec.threads()).isEqualTo(8);
        assertThat(spec.threadMode()).isEqualTo(ThreadMode.VIRTUAL);
        assertThat(spec.prefetch()).isEqualTo(2);
        assertThat(spec.settings().blockSize()).isEqualTo(65536);
        assertThat(spec.settings().blocks()).isEqualTo(256);
        assertThat(spec.settings().maxBlocks()).isEqualTo(1024);
        assertThat(spec.redisUrl()).isEqualTo("redis://redis:6379");
        assertThat(spec.visibilityTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(spec.maxAttempts()).isEqualTo(5);
        assertThat(spec.dispatch()).isEqualTo(Dispatch.SharedQueue);
        assertThat(spec.maxTasksPerWorker()).isEqualTo(1000);
        assertThat(spec.drainTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(spec.settings().taskTimeout()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void aMinimalFileGetsTheResourceDefaults() {
        PoolSpec spec = PoolSpecParser.parse("p", "apiVersion: reservoir.dev/v1alpha1\nkind: WorkerPool\nmetadata: {name: p}\n");
        assertThat(spec).isEqualTo(PoolSpec.defaults("p", 1, 4));
    }

    @Test
    void everyBadFieldIsNamedWithWhatWasGiven() {
        String bad = """
                apiVersion: reservoir.dev/v1
                kind: WorkerPool
                metadata: {name: Bad_Name}
                spec:
                  threads: 0
                  treads: 4
                  threadMode: green
                  memoryPool: {blockSize: 64KB, blocks: 10, maxBlocks: 5}
                  queue: {visibilityTimeout: 30, maxAttempts: 0, redis: {url: "http://x"}}
                  dispatch: Fastest
                  drainTimeout: soon
                """;
        assertThatThrownBy(() -> PoolSpecParser.parse("pool.yaml", bad)).isInstanceOfSatisfying(PoolSpecException.class,
                e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "apiVersion: must be reservoir.dev/v1alpha1, got 'reservoir.dev/v1'",
                        "metadata.name: pool name 'Bad_Name' is not valid: use 1-63 lower-case letters, digits and '-', starting and"
                                + " ending with a letter or digit (a Kubernetes resource name)",
                        "spec.treads: unknown field (known: autoscaling, dispatch, drainTimeout, image, maxTasksPerWorker,"
                                + " memoryPool, prefetch, queue, replicas, taskTimeout, template, threadMode, threads)",
                        "spec.threads: 0 is out of range: use 1 to 1024",
                        "spec.threadMode: 'green' is not one of platform, virtual",
                        "spec.memoryPool.blockSize: '64KB' is not a size: use bytes or a number with Ki, Mi or Gi, e.g. 64Ki",
                        "spec.memoryPool.maxBlocks: 5 is less than blocks (10): raise maxBlocks",
                        "spec.queue.redis.url: Redis URL 'http://x' must start with redis:// or rediss://",
                        "spec.queue.visibilityTimeout: '30' is not a duration: use a number and a unit, e.g. 500ms, 30s, 2m, 1h",
                        "spec.queue.maxAttempts: 0 is out of range: use 1 to 100",
                        "spec.dispatch: 'Fastest' is not one of SharedQueue, RoundRobin, Random",
                        "spec.drainTimeout: 'soon' is not a duration: use a number and a unit, e.g. 500ms, 30s, 2m, 1h"));
    }

    static String pool(String spec) {
        return "apiVersion: reservoir.dev/v1alpha1\nkind: WorkerPool\nmetadata: {name: p}\nspec: " + spec + "\n";
    }

    @Test
    void unsetBlockCountsAreLeftToTheWorker() {
        PoolSpec spec = PoolSpecParser.parse("p", pool("{threads: 8, prefetch: 128}"));
        assertThat(spec.settings().blocks()).isNull();
        assertThat(spec.settings().maxBlocks()).isNull();
        // What the worker will derive: max(16, 2 x 136) and max(272, 4 x 136), as under the operator.
        assertThat(spec.effectiveBlocks()).isEqualTo(272);
        assertThat(spec.effectiveMaxBlocks()).isEqualTo(544);
        assertThat(LocalPool.workerEnv(spec, "redis://localhost:6379", "p-1"))
                .doesNotContainKeys(WorkerEnv.BLOCKS, WorkerEnv.MAX_BLOCKS)
                .containsEntry(WorkerEnv.BLOCK_SIZE, "64Ki")
                .containsEntry(WorkerEnv.THREADS, "8")
                .containsEntry(WorkerEnv.PREFETCH, "128");
    }

    @Test
    void setBlockCountsArePassed() {
        PoolSpec spec = PoolSpecParser.parse("p", pool("{memoryPool: {blockSize: 1Mi, blocks: 16, maxBlocks: 32}}"));
        assertThat(LocalPool.workerEnv(spec, "redis://localhost:6379", "p-1"))
                .containsEntry(WorkerEnv.BLOCK_SIZE, "1Mi")
                .containsEntry(WorkerEnv.BLOCKS, "16")
                .containsEntry(WorkerEnv.MAX_BLOCKS, "32");
        spec = PoolSpecParser.parse("p", pool("{memoryPool: {maxBlocks: 600}}"));
        assertThat(LocalPool.workerEnv(spec, "redis://localhost:6379", "p-1"))
                .doesNotContainKey(WorkerEnv.BLOCKS)
                .containsEntry(WorkerEnv.MAX_BLOCKS, "600");
    }

    @Test
    void maxBlocksAloneMustCoverTheDerivedBlocks() {
        assertThatThrownBy(() -> PoolSpecParser.parse("p", pool("{threads: 8, prefetch: 128, memoryPool: {maxBlocks: 100}}")))
                .isInstanceOfSatisfying(PoolSpecException.class, e -> assertThat(e.problems()).containsExactly(
                        "spec.memoryPool.maxBlocks: 100 is less than blocks (272, derived by the worker as max(16, 2 x (threads +"
                                + " prefetch))): raise maxBlocks or set blocks"));
        assertThat(PoolSpecParser.parse("p", pool("{threads: 8, prefetch: 128, memoryPool: {maxBlocks: 272}}")).effectiveMaxBlocks())
                .isEqualTo(272);
    }

    @Test
    void memoryPoolLimitsAreTheWorkersAndTheOperators() {
        assertThatThrownBy(() -> PoolSpecParser.parse("p", pool("{memoryPool: {blockSize: 0, blocks: 0, maxBlocks: 4194305}}")))
                .isInstanceOfSatisfying(PoolSpecException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "spec.memoryPool.blockSize: 0 is out of range: use 64 bytes to 64Mi",
                        "spec.memoryPool.blocks: 0 is out of range: use 1 to 1048576",
                        "spec.memoryPool.maxBlocks: 4194305 is out of range: use 1 to 4194304"));
        assertThatThrownBy(() -> PoolSpecParser.parse("p", pool("{memoryPool: {blockSize: 65Mi, blocks: 1048577, maxBlocks: 0}}")))
                .isInstanceOfSatisfying(PoolSpecException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "spec.memoryPool.blockSize: 65Mi is out of range: use 64 bytes to 64Mi",
                        "spec.memoryPool.blocks: 1048577 is out of range: use 1 to 1048576",
                        "spec.memoryPool.maxBlocks: 0 is out of range: use 1 to 4194304"));
        PoolSpec bounds = PoolSpecParser.parse("p", pool("{memoryPool: {blockSize: 64, blocks: 1048576, maxBlocks: 4194304}}"));
        assertThat(bounds.settings().blockSize()).isEqualTo(64);
        assertThat(bounds.settings().blocks()).isEqualTo(1 << 20);
        assertThat(bounds.settings().maxBlocks()).isEqualTo(1 << 22);
        assertThat(PoolSpecParser.parse("p", pool("{memoryPool: {blockSize: 64Mi}}")).settings().blockSize()).isEqualTo(64L << 20);
    }

    @Test
    void notAWorkerPoolAtAll() {
        assertThatThrownBy(() -> PoolSpecParser.parse("x.yaml", "- a\n- b\n")).hasMessageContaining("the file must hold one WorkerPool resource");
        assertThatThrownBy(() -> PoolSpecParser.parse("x.yaml", "a: [")).hasMessageStartingWith("x.yaml: not valid YAML");
        assertThatThrownBy(() -> PoolSpecParser.parse("x.yaml", "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: a}"))
                .hasMessageContaining("kind: must be WorkerPool, got 'Deployment'");
        assertThatThrownBy(() -> PoolSpecParser.parse(java.nio.file.Path.of("/nonexistent/pool.yaml")))
                .hasMessageContaining("cannot read the file");
    }

    @Test
    void whatTheApiServerWouldRefuseIsRefusedHereToo() {
        // Found by an outside review: each of these used to start a pool with another setting, or crash.
        java.util.Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{threads: 2.5}", "spec.threads: 2.5 is not a whole number: use 1 to 1024");
        cases.put("{threads: '8'}", "spec.threads: '8' is not a whole number: use 1 to 1024");
        cases.put("{replicas: 1e30}", "spec.replicas: 1.0E30 is not a whole number: use 0 to 10000");
        cases.put("{threads: 99999999999999999999}", "spec.threads: 99999999999999999999 is out of range: use 1 to 1024");
        cases.put("{drainTimeout: 3000000000000h}", "spec.drainTimeout: 3000000000000h is out of range: use 0s to 24h");
        cases.put("{autoscaling: {minReplicas: 10, maxReplicas: 2}}", "spec.autoscaling.minReplicas: 10 exceeds maxReplicas (2)");
        cases.put("{replicas: 2, autoscaling: {minReplicas: 5, maxReplicas: 9}}",
                "spec.replicas: 2 is below autoscaling.minReplicas (5): use 0 (paused) or at least 5");
        cases.put("{template: {env: [{name: RESERVOIR_THREADS, value: '9'}]}}",
                "spec.template.env: RESERVOIR_THREADS is set by the operator from the WorkerPool fields: remove it from template.env");
        cases.put("{template: {labels: {reservoir.dev/pool: x}}}",
                "spec.template.labels: reservoir.dev/pool uses a prefix the operator selects its pods by: rename it");
        cases.put("{template: {resources: {limits: {memory: lots}}}}",
                "spec.template.resources.limits.memory: 'lots' is not a quantity: use e.g. 512Mi, 2Gi, 500m or 2");
        cases.put("{queue: {redis: {url: 'redis://:secret@r:6379'}}}",
                "spec.queue.redis.url: carries a password: put it in a Secret and set spec.queue.redis.passwordSecretRef");
        cases.put("{queue: {redis: {url: 'redis://r:6379', passwordSecretRef: {name: s}}}}",
                "spec.queue.redis.passwordSecretRef: set both name and key of the Secret holding the password");
        cases.forEach((spec, problem) -> assertThatThrownBy(() -> PoolSpecParser.parse("p", pool(spec))).as(spec)
                .isInstanceOfSatisfying(PoolSpecException.class, e -> assertThat(e.problems()).containsExactly(problem)));
    }

    @Test
    void yamlIsReadAsTheApiServersClientsReadIt() {
        assertThatThrownBy(() -> PoolSpecParser.parse("p", pool("{threads: 2000, threads: 8}")))
                .hasMessageContaining("not valid YAML").hasMessageContaining("threads");
        assertThatThrownBy(() -> PoolSpecParser.parse("p", pool("{threads: 8}") + "---\nthis: is ignored\n"))
                .hasMessageContaining("the file holds 2 documents");
        // An alias is its anchor's value, not its name.
        assertThat(PoolSpecParser.parse("p", pool("{threads: &t 8, prefetch: *t}")).prefetch()).isEqualTo(8);
        assertThat(PoolSpecParser.parse("p", "---\n---\n" + pool("{threads: 3}")).threads()).isEqualTo(3);
    }

    @Test
    void aFileLargerThanAWorkerPoolCanBeIsRefusedBeforeItIsRead(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path big = dir.resolve("big.yaml");
        java.nio.file.Files.writeString(big, pool("{threads: 8}") + "#" + "x".repeat(2 << 20) + "\n");
        assertThatThrownBy(() -> PoolSpecParser.parse(big)).hasMessageContaining("larger than 1024 KiB");
    }
}
