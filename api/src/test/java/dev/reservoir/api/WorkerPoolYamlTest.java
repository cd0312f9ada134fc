package dev.reservoir.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.spec.PoolSettings;
import dev.reservoir.spec.ThreadMode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerPoolYamlTest {

    @Test
    void aValidFileReadsIntoTheResourceClasses() {
        WorkerPool pool = WorkerPoolYaml.read("p.yaml", """
                apiVersion: reservoir.dev/v1alpha1
                kind: WorkerPool
                metadata: {name: thumbs, namespace: media}
                spec:
                  replicas: 3
                  image: acme/thumbs:1
                  threads: 8
                  threadMode: virtual
                  memoryPool: {blockSize: 1Mi, blocks: 32}
                  queue: {redis: {url: redis://r:6379}, maxAttempts: 5}
                  template:
                    env: [{name: A, value: b}]
                """);
        assertThat(pool.getMetadata().getName()).isEqualTo("thumbs");
        List<String> problems = new ArrayList<>();
        PoolSettings s = SpecSettings.read(pool.getSpec(), problems);
        assertThat(problems).isEmpty();
        assertThat(s.threads()).isEqualTo(8);
        assertThat(s.threadMode()).isEqualTo(ThreadMode.VIRTUAL);
        assertThat(s.blockSize()).isEqualTo(1 << 20);
        assertThat(s.blocks()).isEqualTo(32);
        assertThat(s.maxBlocks()).isNull();
        assertThat(s.maxAttempts()).isEqualTo(5);
        assertThat(pool.getSpec().template.env).hasSize(1);
    }

    @Test
    void everyShapeProblemIsReportedWithItsField() {
        var e = catchThrowableOfType(WorkerPoolYaml.InvalidWorkerPoolException.class, () -> WorkerPoolYaml.read("p.yaml", """
                apiVersion: reservoir.dev/v1
                kind: WorkerPool
                metadata: {name: p}
                spec:
                  threads: four
                  thread: 4
                  memoryPool: 5
                  queue: {redis: {url: redis://r:6379, pasword: x}, maxAttempts: [1]}
                  template: {spec: {nodeSelector: {a: b}}, labels: {x: y}}
                """));
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "apiVersion: must be reservoir.dev/v1alpha1, got 'reservoir.dev/v1'",
                "spec.threads: 'four' is not a whole number: use 1 to 1024",
                "spec.thread: unknown field (known: autoscaling, dispatch, drainTimeout, image, maxTasksPerWorker, memoryPool, prefetch,"
                        + " queue, replicas, taskTimeout, template, threadMode, threads)",
                "spec.memoryPool: must be a mapping (key: value lines), got 5",
                "spec.queue.redis.pasword: unknown field (known: passwordSecretRef, url)",
                "spec.queue.maxAttempts: must be a whole number, got a list",
                "spec.template.spec: unknown field (known: affinity, annotations, env, imagePullPolicy, imagePullSecrets, labels,"
                        + " nodeSelector, priorityClassName, resources, serviceAccountName, tolerations)");
    }

    @Test
    void notAWorkerPoolAtAll() {
        var e = catchThrowableOfType(WorkerPoolYaml.InvalidWorkerPoolException.class, () -> WorkerPoolYaml.read("p.yaml", "- a\n- b\n"));
        assertThat(e.getMessage()).contains("p.yaml: the file must hold one WorkerPool resource");
        e = catchThrowableOfType(WorkerPoolYaml.InvalidWorkerPoolException.class, () -> WorkerPoolYaml.read("p.yaml", "a: [unclosed"));
        assertThat(e.getMessage()).contains("not valid YAML");
    }
}
