package dev.reservoir.client.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.reservoir.client.Dispatch;
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
              autoscaling: {minReplicas: 1, maxReplicas: 20, targetBacklogPerWorker: 16}
              template: {spec: {nodeSelector: {disk: ssd}}}
            """;

    @Test
    void readsEveryLocalFieldAndIgnoresKubernetesOnlyOnes() {
        PoolSpec spec = PoolSpecParser.parse("pool.yaml", FULL);
        assertThat(spec.name()).isEqualTo("thumbnails");
        assertThat(spec.replicas()).isEqualTo(4);
        assertThat(spec.threads()).isEqualTo(8);
        assertThat(spec.threadMode()).isEqualTo("virtual");
        assertThat(spec.prefetch()).isEqualTo(2);
        assertThat(spec.memoryPool()).isEqualTo(new PoolSpec.MemoryPool(65536, 256, 1024));
        assertThat(spec.redisUrl()).isEqualTo("redis://redis:6379");
        assertThat(spec.visibilityTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(spec.maxAttempts()).isEqualTo(5);
        assertThat(spec.dispatch()).isEqualTo(Dispatch.SharedQueue);
        assertThat(spec.maxTasksPerWorker()).isEqualTo(1000);
        assertThat(spec.drainTimeout()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void aMinimalFileGetsTheResourceDefaults() {
        PoolSpec spec = PoolSpecParser.parse("p", "apiVersion: reservoir.dev/v1alpha1\nkind: WorkerPool\nmetadata: {name: p}\n");
        assertThat(spec).isEqualTo(PoolSpec.defaults("p", 1, 8));
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
                        "spec.threads: must be between 1 and 1024, got 0",
                        "spec.treads: unknown field (known: autoscaling, dispatch, drainTimeout, image, imagePullPolicy, maxTasksPerWorker,"
                                + " memoryPool, prefetch, queue, replicas, resources, template, threadMode, threads)",
                        "spec.threadMode: must be platform or virtual, got 'green'",
                        "spec.memoryPool.blockSize: must be a size such as 64Ki or 1Mi, got '64KB'",
                        "spec.memoryPool.maxBlocks: must be at least spec.memoryPool.blocks (10), got 5",
                        "spec.queue.redis.url: Redis URL 'http://x' must start with redis:// or rediss://",
                        "spec.queue.visibilityTimeout: must be a duration such as 500ms, 30s or 2m, got 30",
                        "spec.queue.maxAttempts: must be between 1 and 1000, got 0",
                        "spec.dispatch: must be one of SharedQueue, RoundRobin, Random, got 'Fastest'",
                        "spec.drainTimeout: must be a duration such as 500ms, 30s or 2m, got 'soon'"));
    }

    @Test
    void notAWorkerPoolAtAll() {
        assertThatThrownBy(() -> PoolSpecParser.parse("x.yaml", "- a\n- b\n")).hasMessageContaining("the document: must be a mapping");
        assertThatThrownBy(() -> PoolSpecParser.parse("x.yaml", "a: [")).hasMessageStartingWith("x.yaml: not valid YAML");
        assertThatThrownBy(() -> PoolSpecParser.parse("x.yaml", "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: a}"))
                .hasMessageContaining("kind: must be WorkerPool, got 'Deployment'");
        assertThatThrownBy(() -> PoolSpecParser.parse(java.nio.file.Path.of("/nonexistent/pool.yaml")))
                .hasMessageContaining("cannot read the file");
    }
}
