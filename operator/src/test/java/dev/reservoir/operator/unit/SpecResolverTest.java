package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.api.v1alpha1.AutoscalingSpec;
import dev.reservoir.spec.Dispatch;
import dev.reservoir.api.v1alpha1.MemoryPoolSpec;
import dev.reservoir.api.v1alpha1.PodTemplateOverrides;
import dev.reservoir.spec.ThreadMode;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.operator.model.ResolvedSpec;
import dev.reservoir.operator.model.SpecResolver;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecResolverTest {

    @Test
    void appliesTheSchemaDefaults() {
        SpecResolver.Result r = SpecResolver.resolve(Pools.minimal("thumbs"));
        assertThat(r.valid()).isTrue();
        ResolvedSpec s = r.spec();
        assertThat(s.replicas()).isEqualTo(1);
        assertThat(s.threads()).isEqualTo(4);
        assertThat(s.threadMode()).isEqualTo(ThreadMode.PLATFORM);
        assertThat(s.prefetch()).isEqualTo(1);
        assertThat(s.blockSize()).isEqualTo(64 * 1024);
        // Left to the worker: max(16, 2 x (4 + 1)) and max(16, 4 x (4 + 1)).
        assertThat(s.blocks()).isNull();
        assertThat(s.maxBlocks()).isNull();
        assertThat(s.effectiveBlocks()).isEqualTo(16);
        assertThat(s.effectiveMaxBlocks()).isEqualTo(20);
        assertThat(s.visibilityTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.maxAttempts()).isEqualTo(3);
        assertThat(s.dispatch()).isEqualTo(Dispatch.SharedQueue);
        assertThat(s.maxTasksPerWorker()).isZero();
        assertThat(s.drainTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.autoscaling()).isNull();
    }

    @Test
    void namesEachBadFieldAndWhatToDo() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().image = " ";
        pool.getSpec().threads = 0;
        pool.getSpec().drainTimeout = "soon";
        pool.getSpec().memoryPool = new MemoryPoolSpec();
        pool.getSpec().memoryPool.blocks = 10;
        pool.getSpec().memoryPool.maxBlocks = 5;
        pool.getSpec().queue.redis.url = "http://redis:6379";
        SpecResolver.Result r = SpecResolver.resolve(pool);
        assertThat(r.valid()).isFalse();
        assertThat(r.spec()).isNull();
        assertThat(r.errors()).anySatisfy(e -> assertThat(e).startsWith("spec.image: required"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.threads: 0 is out of range: use 1 to 1024"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.drainTimeout: 'soon' is not a duration"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.memoryPool.maxBlocks: 5 is less than blocks (10)"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.queue.redis.url: Redis URL 'http://redis:6379' must start with redis://"));
    }

    @Test
    void unsetBlocksAreDerivedFromTheClaimBoundAsTheWorkerDoes() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().threads = 8;
        pool.getSpec().prefetch = 128;
        ResolvedSpec s = SpecResolver.resolve(pool).spec();
        assertThat(s.effectiveBlocks()).isEqualTo(272);
        assertThat(s.effectiveMaxBlocks()).isEqualTo(544);

        pool.getSpec().memoryPool = new MemoryPoolSpec();
        pool.getSpec().memoryPool.blocks = 1000;
        s = SpecResolver.resolve(pool).spec();
        assertThat(s.blocks()).isEqualTo(1000);
        assertThat(s.maxBlocks()).isNull();
        assertThat(s.effectiveMaxBlocks()).isEqualTo(1000);
    }

    @Test
    void maxBlocksAloneMustCoverTheDerivedBlocks() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().threads = 8;
        pool.getSpec().prefetch = 128;
        pool.getSpec().memoryPool = new MemoryPoolSpec();
        pool.getSpec().memoryPool.maxBlocks = 100;
        assertThat(SpecResolver.resolve(pool).errors()).containsExactly("spec.memoryPool.maxBlocks: 100 is less than blocks (272, derived"
                + " by the worker as max(16, 2 x (threads + prefetch))): raise maxBlocks or set blocks");
        pool.getSpec().memoryPool.maxBlocks = 272;
        assertThat(SpecResolver.resolve(pool).valid()).isTrue();
    }

    @Test
    void memoryPoolLimitsAreTheWorkers() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().memoryPool = new MemoryPoolSpec();
        pool.getSpec().memoryPool.blockSize = "0";
        pool.getSpec().memoryPool.blocks = 0;
        pool.getSpec().memoryPool.maxBlocks = (1 << 22) + 1;
        assertThat(SpecResolver.resolve(pool).errors()).containsExactlyInAnyOrder(
                "spec.memoryPool.blockSize: 0 is out of range: use 64 bytes to 64Mi",
                "spec.memoryPool.blocks: 0 is out of range: use 1 to 1048576",
                "spec.memoryPool.maxBlocks: 4194305 is out of range: use 1 to 4194304");
        pool.getSpec().memoryPool.blockSize = "65Mi";
        pool.getSpec().memoryPool.blocks = (1 << 20) + 1;
        pool.getSpec().memoryPool.maxBlocks = 0;
        assertThat(SpecResolver.resolve(pool).errors()).containsExactlyInAnyOrder(
                "spec.memoryPool.blockSize: 65Mi is out of range: use 64 bytes to 64Mi",
                "spec.memoryPool.blocks: 1048577 is out of range: use 1 to 1048576",
                "spec.memoryPool.maxBlocks: 0 is out of range: use 1 to 4194304");
        // The bounds themselves are accepted.
        pool.getSpec().memoryPool.blockSize = "64";
        pool.getSpec().memoryPool.blocks = 1 << 20;
        pool.getSpec().memoryPool.maxBlocks = 1 << 22;
        assertThat(SpecResolver.resolve(pool).errors()).isEmpty();
        pool.getSpec().memoryPool.blockSize = "64Mi";
        assertThat(SpecResolver.resolve(pool).errors()).isEmpty();
    }

    @Test
    void rejectsAPasswordInTheUrl() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().queue.redis.url = "redis://:hunter2@redis:6379";
        assertThat(SpecResolver.resolve(pool).message()).contains("spec.queue.redis.url: carries a password").doesNotContain("hunter2");
    }

    @Test
    void prefetchIsBoundedByItsRangeNotByThreads() {
        // The worker bounds the prefetch it uses by time (about 2 ms of work), so a large prefetch is safe
        // with few threads; local mode accepts the same 0-1024 (PoolSpecParser).
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().threads = 8;
        pool.getSpec().prefetch = 128;
        SpecResolver.Result r = SpecResolver.resolve(pool);
        assertThat(r.errors()).isEmpty();
        assertThat(r.spec().prefetch()).isEqualTo(128);
        assertThat(r.spec().threads()).isEqualTo(8);

        pool.getSpec().threads = 1;
        pool.getSpec().prefetch = 1024;
        assertThat(SpecResolver.resolve(pool).errors()).isEmpty();

        pool.getSpec().prefetch = 1025;
        assertThat(SpecResolver.resolve(pool).errors()).containsExactly("spec.prefetch: 1025 is out of range: use 0 to 1024");
        pool.getSpec().prefetch = -1;
        assertThat(SpecResolver.resolve(pool).errors()).containsExactly("spec.prefetch: -1 is out of range: use 0 to 1024");
    }

    @Test
    void crossFieldRules() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().autoscaling = new AutoscalingSpec();
        pool.getSpec().autoscaling.minReplicas = 5;
        pool.getSpec().autoscaling.maxReplicas = 2;
        pool.getSpec().template = new PodTemplateOverrides();
        pool.getSpec().template.env = List.of(new EnvVar("RESERVOIR_THREADS", "64", null));
        pool.getSpec().template.labels = Map.of("reservoir.dev/pool", "other");
        assertThat(SpecResolver.resolve(pool).errors())
                .anySatisfy(e -> assertThat(e).startsWith("spec.autoscaling.minReplicas: 5 exceeds maxReplicas (2)"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.template.env: RESERVOIR_THREADS is set by the operator"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.template.labels: reservoir.dev/pool uses a prefix"));
    }

    @Test
    void missingSpecAndBadNameAreReported() {
        WorkerPool pool = Pools.minimal("Thumbs_1");
        pool.setSpec(null);
        assertThat(SpecResolver.resolve(pool).errors()).anySatisfy(e -> assertThat(e).startsWith("metadata.name: pool name 'Thumbs_1'"))
                .anySatisfy(e -> assertThat(e).startsWith("spec: missing"));
    }

    @Test
    void autoscalingKeepsLoadPerWorkerNearTheTarget() {
        ResolvedSpec.Autoscaling a = new ResolvedSpec.Autoscaling(1, 10, 16, Duration.ZERO);
        assertThat(a.desiredFor(0, 0)).isEqualTo(1);
        assertThat(a.desiredFor(16, 0)).isEqualTo(1);
        assertThat(a.desiredFor(17, 0)).isEqualTo(2);
        assertThat(a.desiredFor(40, 8)).isEqualTo(3);
        assertThat(a.desiredFor(10_000, 0)).isEqualTo(10);
        assertThat(new ResolvedSpec.Autoscaling(0, 4, 8, Duration.ZERO).desiredFor(0, 0)).isZero();
    }

    @Test
    void scaleDownStabilizationDefaultsToFiveMinutesAndIsRangeChecked() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().autoscaling = new AutoscalingSpec();
        pool.getSpec().autoscaling.maxReplicas = 4;
        assertThat(SpecResolver.resolve(pool).spec().autoscaling().scaleDownStabilization()).isEqualTo(Duration.ofMinutes(5));
        pool.getSpec().autoscaling.scaleDownStabilizationSeconds = 0;
        assertThat(SpecResolver.resolve(pool).spec().autoscaling().scaleDownStabilization()).isZero();
        pool.getSpec().autoscaling.scaleDownStabilizationSeconds = -1;
        assertThat(SpecResolver.resolve(pool).errors())
                .containsExactly("spec.autoscaling.scaleDownStabilizationSeconds: -1 is out of range: use 0 to 3600");
    }
}
