package dev.reservoir.operator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.api.v1alpha1.QueueSpec;
import dev.reservoir.api.v1alpha1.RedisSpec;
import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.operator.runtime.OperatorRunner;
import dev.reservoir.redis.RedisServerProcess;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The operator's figures for docs/benchmarks.md (section "Operator"). Not part of the normal test run
 * (the name does not end in Test); run it with
 * {@code ./mvnw -B verify -pl operator -Dtest=OperatorBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 * It prints the figures and asserts only what must hold (100 pods, no writes at rest).
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class OperatorBenchmark {
    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    KubernetesClient client;
    @Inject
    OperatorRunner runner;
    @Inject
    MeterRegistry registry;

    @Test
    void hundredReplicasAndSteadyStateRequests() throws Exception {
        CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(
                Files.readString(Path.of("target/classes/META-INF/fabric8/workerpools.reservoir.dev-v1.yml")), CustomResourceDefinition.class);
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewMetadata().endMetadata().withNewStatus().withIncomplete(false)
                        .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                        .withVerbs("get", "create", "update").endResourceRule().endStatus().build())
                .always();
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start()) {
            runner.start();
            String ns = "bench";
            client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("redis").endMetadata()
                    .addToStringData("password", "").build()).create();
            for (int round = 0; round < 3; round++) {
                String name = "hundred-" + round;
                long start = System.nanoTime();
                client.resources(WorkerPool.class).inNamespace(ns).resource(pool(ns, name, 100, redis.url(), false)).create();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).until(() ->
                        client.pods().inNamespace(ns).withLabel(PoolLabels.POOL, name).list().getItems().size() >= 100);
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertThat(client.pods().inNamespace(ns).withLabel(PoolLabels.POOL, name).list().getItems()).hasSize(100);
                System.out.printf("BENCH create-100: round %d: %d ms from WorkerPool create to 100 pods%n", round, ms);
                client.resources(WorkerPool.class).inNamespace(ns).withName(name).delete();
                client.pods().inNamespace(ns).withLabel(PoolLabels.POOL, name).delete();
            }

            // Steady state: one pool at rest (pods never become ready here, so its status stops changing).
            for (boolean withSecret : new boolean[] {false, true}) {
                String name = withSecret ? "steady-secret" : "steady";
                client.resources(WorkerPool.class).inNamespace(ns).resource(pool(ns, name, 3, redis.url(), withSecret)).create();
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    var s = client.resources(WorkerPool.class).inNamespace(ns).withName(name).get().getStatus();
                    return s != null && s.replicas == 3;
                });
                double before = reconciles();
                await().atMost(Duration.ofSeconds(60)).until(() -> reconciles() >= before + 3);
                var mock = server.getKubernetesMockServer();
                while (mock.takeRequest(10, TimeUnit.MILLISECONDS) != null) {
                    // drain
                }
                double start = reconciles();
                await().atMost(Duration.ofSeconds(120)).until(() -> reconciles() >= start + 10);
                double done = reconciles() - start;
                TreeMap<String, Integer> byKind = new TreeMap<>();
                int writes = 0;
                int total = 0;
                int lease = 0;
                for (var r = mock.takeRequest(10, TimeUnit.MILLISECONDS); r != null; r = mock.takeRequest(10, TimeUnit.MILLISECONDS)) {
                    String path = r.getPath().replaceAll("\\?.*", "");
                    if (path.contains("/leases/")) {
                        lease++; // leader election renews its Lease on its own clock, not per reconcile
                        continue;
                    }
                    byKind.merge(r.getMethod() + " " + path, 1, Integer::sum);
                    total++;
                    writes += "GET".equals(r.getMethod()) ? 0 : 1;
                }
                System.out.printf("BENCH steady (%s): %.0f reconciles, %d API requests (%.2f per reconcile), %d writes %s;"
                        + " plus %d Lease requests of leader election in that time%n",
                        withSecret ? "password Secret" : "no Secret", done, total, total / done, writes, byKind, lease);
                assertThat(writes).isZero();
                client.resources(WorkerPool.class).inNamespace(ns).withName(name).delete();
            }
        }
    }

    private double reconciles() {
        return registry.counter("reservoir.operator.reconciles").count();
    }

    private static WorkerPool pool(String ns, String name, int replicas, String url, boolean secret) {
        WorkerPool pool = new WorkerPool();
        pool.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        WorkerPoolSpec spec = new WorkerPoolSpec();
        spec.replicas = replicas;
        spec.image = "reservoir-worker:bench";
        spec.queue = new QueueSpec();
        spec.queue.redis = new RedisSpec();
        spec.queue.redis.url = url;
        if (secret) {
            spec.queue.redis.passwordSecretRef = new SecretKeyRef("redis", "password");
        }
        pool.setSpec(spec);
        return pool;
    }
}
