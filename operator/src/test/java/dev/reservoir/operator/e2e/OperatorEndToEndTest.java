package dev.reservoir.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.api.v1alpha1.QueueSpec;
import dev.reservoir.api.v1alpha1.RedisSpec;
import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.operator.runtime.OperatorRunner;
import dev.reservoir.operator.support.LocalKubelet;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisServerProcess;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The operator end to end on one machine: the mock API server, {@link LocalKubelet} running each pod
 * as a real worker process, and a real Redis with a password from a Secret. A batch runs while a
 * worker is killed, the pool is scaled down while busy and scaled up again; every task must complete
 * exactly once and no pod may be deleted while its worker still runs.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class OperatorEndToEndTest {
    static final String NS = "e2e";
    static final String POOL = "batch";
    static final int TASKS = 600;
    /** Submitted at the start; the other {@code TASKS - FIRST_BATCH} right before the scale-down, so that it meets a backlog. */
    static final int FIRST_BATCH = 400;

    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    KubernetesClient client;
    @Inject
    OperatorRunner runner;

    /** java -cp worker.jar:lib/* WorkerMain, from the worker module's build output. */
    static List<String> workerCommand() {
        Path root = Path.of(System.getProperty("reservoir.repo.root", ".."));
        Path jar = root.resolve("worker/target/reservoir-worker-0.1.0-SNAPSHOT.jar");
        Path lib = root.resolve("worker/target/lib");
        Assumptions.assumeTrue(Files.exists(jar) && Files.isDirectory(lib),
                "the end-to-end test runs the worker from worker/target: build it first with ./mvnw -B package -pl worker -am -DskipTests"
                        + " (the full reactor build does)");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-cp", jar + File.pathSeparator + lib + File.separator + "*", "dev.reservoir.worker.WorkerMain");
    }

    @Test
    void batchSurvivesAKilledWorkerAndScalingWithEveryTaskDoneOnce() throws Exception {
        List<String> command = workerCommand();
        installCrd();
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start();
             Jedis jedis = new Jedis("127.0.0.1", redis.port());
             LocalKubelet kubelet = new LocalKubelet(client, NS, command, Path.of("target/e2e-logs")).start()) {
            jedis.configSet("requirepass", "e2e-secret");
            jedis.auth("e2e-secret");
            client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("redis").endMetadata()
                    .addToStringData("password", "e2e-secret").build()).create();
            runner.start();

            WorkerPool pool = new WorkerPool();
            pool.setMetadata(new ObjectMetaBuilder().withName(POOL).withNamespace(NS).build());
            WorkerPoolSpec spec = new WorkerPoolSpec();
            spec.replicas = 3;
            spec.image = "reservoir-worker:e2e";
            spec.threads = 2;
            spec.drainTimeout = "30s";
            spec.queue = new QueueSpec();
            spec.queue.redis = new RedisSpec();
            spec.queue.redis.url = redis.url();
            spec.queue.redis.passwordSecretRef = new SecretKeyRef("redis", "password");
            spec.queue.visibilityTimeout = "10s";
            pool.setSpec(spec);
            client.resources(WorkerPool.class).inNamespace(NS).resource(pool).create();

            try {
                awaitReady(kubelet, 3);
                PoolQueue queue = new PoolQueue(POOL);
                List<String> ids = new ArrayList<>();
                submit(queue, jedis, ids, 0, FIRST_BATCH);
                // A crash mid-batch: SIGKILL one busy worker (one that holds claims, so that they must be reclaimed).
                String victim = podNames().getFirst();
                await().atMost(Duration.ofSeconds(60)).until(() -> queue.inFlightByConsumer(jedis).getOrDefault(victim, 0L) > 0);
                kubelet.kill(victim);
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    assertThat(podNames()).doesNotContain(victim).hasSize(3);
                    assertThat(queue.inFlightByConsumer(jedis)).doesNotContainKey(victim);
                });

                // Scale down while every worker is busy: the operator drains one (POST /drain), the worker finishes
                // what it holds and exits 0, and only then is its pod deleted.
                // The rest of the batch goes in only now, however long the replacement took: the three workers hold at
                // most threads + prefetch claims each, so the backlog is positive whatever the first batch left.
                awaitReady(kubelet, 3);
                submit(queue, jedis, ids, FIRST_BATCH, TASKS);
                assertThat(queue.backlog(jedis)).as("still busy when scaling down").isPositive();
                scale(2);
                // Done when the drained worker has exited 0 and its pod is gone. (Counting Running pods is not enough:
                // the mock API server lets the operator's annotation update overwrite a pod's status.)
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                    assertThat(kubelet.exitCodes).containsValue(0);
                    assertThat(podNames()).hasSize(2);
                });
                scale(4);
                awaitReady(kubelet, 4);

                await().atMost(Duration.ofSeconds(180)).untilAsserted(() ->
                        assertThat(queue.stats(jedis).get(StatsFields.COMPLETED)).isEqualTo(TASKS));
                for (String id : ids) {
                    TaskResult result = queue.result(jedis, id);
                    assertThat(result).as("result of " + id).isNotNull();
                    assertThat(result.status()).isEqualTo(TaskStatus.OK);
                }
                Map<String, Long> stats = queue.stats(jedis);
                assertThat(stats.get(StatsFields.COMPLETED)).as("each task completed exactly once").isEqualTo(TASKS);
                assertThat(stats.get(StatsFields.DEAD_LETTERED)).isZero();
                assertThat(stats.get(StatsFields.RECLAIMED)).as("the killed worker's claims were reclaimed").isPositive();
                // Only a pod whose worker had not started serving may be deleted outright (the planner deletes a
                // not-ready scale-down victim); a serving worker is drained and its pod deleted after it exited.
                System.out.println("e2e: pods deleted before their worker became ready: " + kubelet.deletedWhileRunning);
                assertThat(kubelet.deletedWhileReady).as("pods deleted while their worker was serving").isEmpty();
                assertThat(kubelet.exitCodes).as("the killed worker failed, the drained one exited 0")
                        .containsValue(0).containsEntry(victim, 137);
            } catch (AssertionError | RuntimeException e) {
                System.err.println("pods: " + client.pods().inNamespace(NS).list().getItems().stream()
                        .map(p -> p.getMetadata().getName() + "=" + (p.getStatus() == null ? "?" : p.getStatus().getPhase())).toList());
                System.err.println("status: " + client.resources(WorkerPool.class).inNamespace(NS).withName(POOL).get().getStatus());
                System.err.println(kubelet.logs());
                throw e;
            } finally {
                client.resources(WorkerPool.class).inNamespace(NS).withName(POOL).delete();
                client.pods().inNamespace(NS).delete();
            }
        }
    }

    /** maxTasksPerWorker: each worker exits 0 after its quota, the operator hands back and replaces it. */
    @Test
    void recycledWorkersAreReplacedAndNothingIsLost() throws Exception {
        List<String> command = workerCommand();
        installCrd();
        String ns = "recycle";
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start();
             Jedis jedis = new Jedis("127.0.0.1", redis.port());
             LocalKubelet kubelet = new LocalKubelet(client, ns, command, Path.of("target/e2e-logs-recycle")).start()) {
            runner.start();
            WorkerPool pool = new WorkerPool();
            pool.setMetadata(new ObjectMetaBuilder().withName("recycle").withNamespace(ns).build());
            WorkerPoolSpec spec = new WorkerPoolSpec();
            spec.replicas = 2;
            spec.image = "reservoir-worker:e2e";
            spec.threads = 2;
            spec.maxTasksPerWorker = 25L;
            spec.queue = new QueueSpec();
            spec.queue.redis = new RedisSpec();
            spec.queue.redis.url = redis.url();
            pool.setSpec(spec);
            client.resources(WorkerPool.class).inNamespace(ns).resource(pool).create();
            try {
                PoolQueue queue = new PoolQueue("recycle");
                int tasks = 150;
                for (int i = 0; i < tasks; i++) {
                    queue.submit(jedis, Task.of("r-" + i, "sleep", "5".getBytes(), null));
                }
                await().atMost(Duration.ofSeconds(180)).untilAsserted(() ->
                        assertThat(queue.stats(jedis).get(StatsFields.COMPLETED)).isEqualTo(tasks));
                for (int i = 0; i < tasks; i++) {
                    assertThat(queue.result(jedis, "r-" + i)).as("result of r-" + i).isNotNull();
                }
                assertThat(queue.stats(jedis).get(StatsFields.DEAD_LETTERED)).isZero();
                // 150 tasks at 25 per worker: at least 6 workers, each exited 0 and was replaced.
                assertThat(kubelet.started).as("workers started").hasSizeGreaterThanOrEqualTo(6);
                assertThat(kubelet.exitCodes.values()).as("recycled workers exit 0").hasSizeGreaterThanOrEqualTo(4).containsOnly(0);
                assertThat(kubelet.deletedWhileReady).isEmpty();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                        client.resources(WorkerPool.class).inNamespace(ns).withName("recycle").get().getStatus().readyReplicas).isEqualTo(2));
            } catch (AssertionError | RuntimeException e) {
                System.err.println(kubelet.logs());
                throw e;
            } finally {
                client.resources(WorkerPool.class).inNamespace(ns).withName("recycle").delete();
                client.pods().inNamespace(ns).delete();
            }
        }
    }

    private static void submit(PoolQueue queue, Jedis jedis, List<String> ids, int from, int to) {
        for (int i = from; i < to; i++) {
            String id = "task-" + i;
            queue.submit(jedis, Task.of(id, "sleep", "100".getBytes(), null));
            ids.add(id);
        }
    }

    private void scale(int replicas) {
        // A merge patch without resourceVersion, like kubectl scale: the status changes too often for an edit's lock.
        client.resources(WorkerPool.class).inNamespace(NS).withName(POOL)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":" + replicas + "}}");
    }

    private List<String> podNames() {
        return client.pods().inNamespace(NS).withLabel(PoolLabels.POOL, POOL).list().getItems().stream()
                .map(p -> p.getMetadata().getName()).sorted().toList();
    }

    private void awaitReady(LocalKubelet kubelet, int n) {
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
            var status = client.resources(WorkerPool.class).inNamespace(NS).withName(POOL).get().getStatus();
            assertThat(status).isNotNull();
            assertThat(status.readyReplicas).isEqualTo(n);
            assertThat(kubelet.running()).isEqualTo(n);
            // A live process is not a serving worker, and the status may still count a pod that was just killed:
            // every running worker must have been seen ready (and its pod marked so) before the next step.
            assertThat(kubelet.ready()).isEqualTo(n);
        });
    }

    private void installCrd() throws Exception {
        CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(
                Files.readString(Path.of("target/classes/META-INF/fabric8/workerpools.reservoir.dev-v1.yml")), CustomResourceDefinition.class);
        if (client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get() == null) {
            client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        }
        if (runner.operator() == null) {
            server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                    .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewMetadata().endMetadata().withNewStatus()
                            .withIncomplete(false).addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                            .withVerbs("get", "create", "update").endResourceRule().endStatus().build())
                    .always();
        }
    }
}
