package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.api.v1alpha1.MemoryPoolSpec;
import dev.reservoir.api.v1alpha1.PodTemplateOverrides;
import dev.reservoir.spec.ThreadMode;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.operator.model.ResolvedSpec;
import dev.reservoir.operator.model.SpecResolver;
import dev.reservoir.operator.model.WorkerPodFactory;
import dev.reservoir.protocol.WorkerEnv;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class WorkerPodFactoryTest {

    private static ResolvedSpec resolve(WorkerPool pool) {
        SpecResolver.Result r = SpecResolver.resolve(pool);
        assertThat(r.errors()).isEmpty();
        return r.spec();
    }

    private static Pod build(WorkerPool pool) {
        return WorkerPodFactory.build(pool, resolve(pool), "abcde");
    }

    private static Map<String, EnvVar> env(Pod pod) {
        return pod.getSpec().getContainers().getFirst().getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    }

    @Test
    void namesLabelsAndOwnsThePod() {
        WorkerPool pool = Pools.minimal("thumbs");
        Pod pod = build(pool);
        String hash = WorkerPodFactory.templateHash(pool, resolve(pool));
        assertThat(pod.getMetadata().getName()).isEqualTo("thumbs-" + hash + "-abcde");
        assertThat(pod.getMetadata().getNamespace()).isEqualTo("jobs");
        assertThat(pod.getMetadata().getLabels()).containsAllEntriesOf(PoolLabels.selectorLabels("thumbs"))
                .containsEntry(PoolLabels.TEMPLATE_HASH, hash);
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("WorkerPool");
            assertThat(o.getUid()).isEqualTo("uid-thumbs");
            assertThat(o.getController()).isTrue();
            assertThat(o.getBlockOwnerDeletion()).isTrue();
        });
        assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    }

    @Test
    void workerEnvComesFromTheSpecAndThePasswordFromTheSecret() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().threads = 8;
        pool.getSpec().threadMode = "virtual";
        pool.getSpec().prefetch = 2;
        pool.getSpec().maxTasksPerWorker = 500L;
        pool.getSpec().drainTimeout = "2m";
        pool.getSpec().memoryPool = new MemoryPoolSpec();
        pool.getSpec().memoryPool.blockSize = "1Mi";
        pool.getSpec().memoryPool.blocks = 16;
        pool.getSpec().memoryPool.maxBlocks = 32;
        Map<String, EnvVar> env = env(build(pool));
        assertThat(env.get(WorkerEnv.POOL).getValue()).isEqualTo("thumbs");
        assertThat(env.get(WorkerEnv.WORKER_ID).getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        assertThat(env.get(WorkerEnv.REDIS_URL).getValue()).isEqualTo("redis://redis:6379");
        assertThat(env.get(WorkerEnv.REDIS_PASSWORD).getValue()).isNull();
        assertThat(env.get(WorkerEnv.REDIS_PASSWORD).getValueFrom().getSecretKeyRef().getName()).isEqualTo("redis");
        assertThat(env.get(WorkerEnv.REDIS_PASSWORD).getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
        assertThat(env.get(WorkerEnv.THREADS).getValue()).isEqualTo("8");
        assertThat(env.get(WorkerEnv.THREAD_MODE).getValue()).isEqualTo("virtual");
        assertThat(env.get(WorkerEnv.PREFETCH).getValue()).isEqualTo("2");
        assertThat(env.get(WorkerEnv.BLOCK_SIZE).getValue()).isEqualTo("1Mi");
        assertThat(env.get(WorkerEnv.BLOCKS).getValue()).isEqualTo("16");
        assertThat(env.get(WorkerEnv.MAX_BLOCKS).getValue()).isEqualTo("32");
        assertThat(env.get(WorkerEnv.VISIBILITY_TIMEOUT).getValue()).isEqualTo("30s");
        assertThat(env.get(WorkerEnv.MAX_ATTEMPTS).getValue()).isEqualTo("3");
        assertThat(env.get(WorkerEnv.DISPATCH).getValue()).isEqualTo("SharedQueue");
        assertThat(env.get(WorkerEnv.MAX_TASKS_PER_WORKER).getValue()).isEqualTo("500");
        assertThat(env.get(WorkerEnv.DRAIN_TIMEOUT).getValue()).isEqualTo("2m");
        assertThat(env.get(WorkerEnv.HTTP_PORT).getValue()).isEqualTo("8080");
        // the drain/status token comes from the pool's own Secret, never as a value in the pod spec
        assertThat(env.get(WorkerEnv.HTTP_TOKEN).getValue()).isNull();
        assertThat(env.get(WorkerEnv.HTTP_TOKEN).getValueFrom().getSecretKeyRef().getName()).isEqualTo("thumbs-worker-token");
        assertThat(env.get(WorkerEnv.HTTP_TOKEN).getValueFrom().getSecretKeyRef().getKey()).isEqualTo(WorkerPodFactory.WORKER_TOKEN_KEY);
        assertThat(env.get(WorkerEnv.HTTP_TOKEN).getValueFrom().getSecretKeyRef().getOptional()).isFalse();
    }

    @Test
    void noPasswordEnvWithoutASecretRef() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().queue.redis.passwordSecretRef = null;
        assertThat(env(build(pool))).doesNotContainKey(WorkerEnv.REDIS_PASSWORD);
    }

    @Test
    void probesHitTheWorkerEndpointsAndPreStopDrains() {
        Container c = build(Pools.minimal("thumbs")).getSpec().getContainers().getFirst();
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/live");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
        assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/live");
        // The worker drains on POST /drain (an httpGet hook could only GET).
        assertThat(c.getLifecycle().getPreStop().getExec().getCommand()).last().asString()
                .contains("/dev/tcp/127.0.0.1/${RESERVOIR_HTTP_PORT:-8080}", "POST /drain HTTP/1.1", "$RESERVOIR_HTTP_TOKEN");
        assertThat(c.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8080));
    }

    @Test
    void graceCoversTheDrainTimeout() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().drainTimeout = "90s";
        assertThat(build(pool).getSpec().getTerminationGracePeriodSeconds()).isEqualTo(90 + WorkerPodFactory.GRACE_MARGIN_SECONDS);
    }

    @Test
    void securityContextIsHardened() {
        Pod pod = build(Pools.minimal("thumbs"));
        var podSc = pod.getSpec().getSecurityContext();
        assertThat(podSc.getRunAsNonRoot()).isTrue();
        assertThat(podSc.getRunAsUser()).isPositive();
        assertThat(podSc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var sc = pod.getSpec().getContainers().getFirst().getSecurityContext();
        assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        assertThat(sc.getPrivileged()).isFalse();
        assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
        // A read-only root needs a writable /tmp for the JVM.
        assertThat(pod.getSpec().getContainers().getFirst().getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    }

    @Test
    void unsetBlocksAreLeftToTheWorker() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().threads = 8;
        pool.getSpec().prefetch = 128;
        Map<String, EnvVar> env = env(build(pool));
        assertThat(env).doesNotContainKeys(WorkerEnv.BLOCKS, WorkerEnv.MAX_BLOCKS);
        assertThat(env.get(WorkerEnv.BLOCK_SIZE).getValue()).isEqualTo("64Ki");
        // Sized for what the worker will derive: 272 blocks up front, 544 at most, of 64Ki each.
        // jvm 160 + heap (64 + 16 x 8) + stacks 8 + pool: request 17Mi, limit 34Mi (+32Mi direct slack)
        var res = build(pool).getSpec().getContainers().getFirst().getResources();
        assertThat(res.getRequests().get("memory")).isEqualTo(new Quantity("377Mi"));
        assertThat(res.getLimits().get("memory")).isEqualTo(new Quantity("426Mi"));

        pool.getSpec().memoryPool = new MemoryPoolSpec();
        pool.getSpec().memoryPool.maxBlocks = 600;
        env = env(build(pool));
        assertThat(env).doesNotContainKey(WorkerEnv.BLOCKS);
        assertThat(env.get(WorkerEnv.MAX_BLOCKS).getValue()).isEqualTo("600");
    }

    @Test
    void resourcesAreDerivedFromThreadsAndMemoryPool() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().threads = 8;
        pool.getSpec().memoryPool = new MemoryPoolSpec();
        pool.getSpec().memoryPool.blockSize = "1Mi";
        pool.getSpec().memoryPool.blocks = 100;
        pool.getSpec().memoryPool.maxBlocks = 400;
        var res = build(pool).getSpec().getContainers().getFirst().getResources();
        // jvm 160 + heap (64 + 16 x 8) + stacks 8 + pool: request 100Mi, limit 400Mi (+32Mi direct slack)
        assertThat(res.getRequests().get("memory")).isEqualTo(new Quantity("460Mi"));
        assertThat(res.getLimits().get("memory")).isEqualTo(new Quantity("792Mi"));
        assertThat(res.getRequests().get("cpu")).isEqualTo(new Quantity("800m"));
        assertThat(res.getLimits()).doesNotContainKey("cpu");
        assertThat(env(build(pool)).get("JDK_JAVA_OPTIONS").getValue()).isEqualTo("-Xmx192m -XX:MaxDirectMemorySize=432m");

        // More threads or a bigger pool ask for more.
        pool.getSpec().threads = 16;
        var bigger = build(pool).getSpec().getContainers().getFirst().getResources();
        assertThat(Quantity.getAmountInBytes(bigger.getRequests().get("memory")))
                .isGreaterThan(Quantity.getAmountInBytes(res.getRequests().get("memory")));
    }

    @Test
    void userResourcesWinPerKey() {
        WorkerPool pool = Pools.minimal("thumbs");
        pool.getSpec().template = new PodTemplateOverrides();
        pool.getSpec().template.resources = new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity("2"))
                .addToLimits("memory", new Quantity("256Mi")).build();
        var res = build(pool).getSpec().getContainers().getFirst().getResources();
        assertThat(res.getRequests().get("cpu")).isEqualTo(new Quantity("2"));
        assertThat(res.getLimits().get("memory")).isEqualTo(new Quantity("256Mi"));
        // The derived memory request would exceed the user's limit: it is lowered to the limit.
        assertThat(res.getRequests().get("memory")).isEqualTo(new Quantity("256Mi"));
    }

    @Test
    void overridesReachThePodAndCannotShadowTheOperatorsSettings() {
        WorkerPool pool = Pools.minimal("thumbs");
        PodTemplateOverrides t = new PodTemplateOverrides();
        t.labels = Map.of("team", "media");
        t.annotations = Map.of("owner", "media@acme");
        t.nodeSelector = Map.of("pool", "cpu");
        Toleration toleration = new Toleration("NoSchedule", "dedicated", "Equal", null, "workers");
        t.tolerations = List.of(toleration);
        t.serviceAccountName = "thumbs";
        t.env = List.of(new EnvVar("LOG_LEVEL", "debug", null));
        t.imagePullPolicy = "Always";
        pool.getSpec().template = t;
        Pod pod = build(pool);
        assertThat(pod.getMetadata().getLabels()).containsEntry("team", "media").containsEntry(PoolLabels.POOL, "thumbs");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("owner", "media@acme");
        assertThat(pod.getSpec().getNodeSelector()).containsEntry("pool", "cpu");
        assertThat(pod.getSpec().getTolerations()).containsExactly(toleration);
        assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("thumbs");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isTrue();
        assertThat(pod.getSpec().getContainers().getFirst().getImagePullPolicy()).isEqualTo("Always");
        assertThat(env(pod).get("LOG_LEVEL").getValue()).isEqualTo("debug");
    }

    @Test
    void templateHashChangesWithTheTemplateOnlyAndIgnoresMapOrder() {
        WorkerPool a = Pools.minimal("thumbs");
        WorkerPool b = Pools.minimal("thumbs");
        b.getSpec().replicas = 9; // replicas is not part of the pod template
        b.getMetadata().setUid("another-uid");
        assertThat(WorkerPodFactory.templateHash(a, resolve(a))).isEqualTo(WorkerPodFactory.templateHash(b, resolve(b)));

        a.getSpec().template = new PodTemplateOverrides();
        a.getSpec().template.nodeSelector = new java.util.LinkedHashMap<>(Map.of("x", "1"));
        a.getSpec().template.nodeSelector.put("y", "2");
        b.getSpec().template = new PodTemplateOverrides();
        b.getSpec().template.nodeSelector = new java.util.LinkedHashMap<>(Map.of("y", "2"));
        b.getSpec().template.nodeSelector.put("x", "1");
        assertThat(WorkerPodFactory.templateHash(a, resolve(a))).isEqualTo(WorkerPodFactory.templateHash(b, resolve(b)));

        String before = WorkerPodFactory.templateHash(b, resolve(b));
        b.getSpec().image = "reservoir-worker:0.2.0";
        assertThat(WorkerPodFactory.templateHash(b, resolve(b))).isNotEqualTo(before).hasSize(10);
    }

    /** Runs the real preStop command with bash against an HTTP server standing in for the worker. */
    @Test
    void preStopHookPostsDrainToTheWorker() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Path.of("/bin/bash")), "needs bash");
        List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 4);
        server.createContext("/", ex -> {
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " " + ex.getRequestHeaders().getFirst("Authorization"));
            ex.sendResponseHeaders(202, -1);
            ex.close();
        });
        server.start();
        try {
            ProcessBuilder pb = new ProcessBuilder(WorkerPodFactory.PRE_STOP_DRAIN);
            pb.environment().put(WorkerEnv.HTTP_PORT, Integer.toString(server.getAddress().getPort()));
            pb.environment().put(WorkerEnv.HTTP_TOKEN, "tok-en_42");
            Process hook = pb.redirectErrorStream(true).start();
            assertThat(hook.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(hook.exitValue()).isZero();
            assertThat(seen).as("the hook sends the pool's token from the pod's env").containsExactly("POST /drain Bearer tok-en_42");
        } finally {
            server.stop(0);
        }
    }
}
