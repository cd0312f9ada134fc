package dev.reservoir.operator.apiserver;

import dev.reservoir.api.v1alpha1.QueueSpec;
import dev.reservoir.api.v1alpha1.RedisSpec;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolSpec;
import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.WorkerState;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisServerProcess;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import redis.clients.jedis.Jedis;

/**
 * Helpers for the API-server tests: install the generated CRD, make pools, and play the kubelet's
 * part that the mock server lacks (pod phases, readiness) plus the workers' heartbeats in Redis.
 */
final class ApiFixture {
    static final Path CRD = Path.of("target/classes/META-INF/fabric8/workerpools.reservoir.dev-v1.yml");

    private ApiFixture() {
    }

    static void installCrd(KubernetesClient client) {
        try {
            CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
            if (client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get() == null) {
                client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * JOSDK checks it may use Leases (a SelfSubjectRulesReview) before leader election; the mock
     * server cannot answer that, so it is told what a cluster with deploy/operator/rbac.yaml answers.
     */
    static void allowLeases(KubernetesServer server) {
        SelfSubjectRulesReview review = new SelfSubjectRulesReviewBuilder().withNewMetadata().endMetadata()
                .withNewStatus().withIncomplete(false)
                .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                .withVerbs("get", "create", "update").endResourceRule()
                .endStatus().build();
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews").andReturn(201, review).always();
    }

    static WorkerPool pool(String ns, String name, int replicas, String redisUrl) {
        WorkerPool pool = new WorkerPool();
        pool.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        WorkerPoolSpec spec = new WorkerPoolSpec();
        spec.replicas = replicas;
        spec.image = "reservoir-worker:test";
        spec.queue = new QueueSpec();
        spec.queue.redis = new RedisSpec();
        spec.queue.redis.url = redisUrl;
        pool.setSpec(spec);
        return pool;
    }

    static List<Pod> pods(KubernetesClient client, String ns, String pool) {
        return client.pods().inNamespace(ns).withLabels(PoolLabels.selectorLabels(pool)).list().getItems();
    }

    static List<String> podNames(KubernetesClient client, String ns, String pool) {
        return pods(client, ns, pool).stream().map(p -> p.getMetadata().getName()).sorted().collect(Collectors.toList());
    }

    /** What a kubelet would do for a started worker: Running, Ready, an IP; and the worker's idle heartbeat. */
    static void runAll(KubernetesClient client, Jedis jedis, String ns, String pool) {
        for (Pod p : pods(client, ns, pool)) {
            boolean running = p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
            if (!running && (p.getStatus() == null || p.getStatus().getPhase() == null || "Pending".equals(p.getStatus().getPhase()))) {
                setPhase(client, p, "Running", true);
            }
            if (running || p.getStatus() == null || !"Failed".equals(p.getStatus().getPhase())) {
                heartbeat(jedis, pool, p.getMetadata().getName(), 0);
            }
        }
    }

    static void setPhase(KubernetesClient client, Pod p, String phase, boolean ready) {
        try {
            client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()).editStatus(pod -> {
                pod.setStatus(new PodStatusBuilder().withPhase(phase).withPodIP("127.0.0.1")
                        .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").build())
                        .build());
                return pod;
            });
        } catch (KubernetesClientException gone) {
            // deleted meanwhile: nothing to run
        }
    }

    static void heartbeat(Jedis jedis, String pool, String worker, int inFlight) {
        long now = System.currentTimeMillis();
        new PoolQueue(pool).heartbeat(jedis, new Heartbeat(worker, WorkerState.RUNNING, 4, inFlight, inFlight, 0, 0, 0, 64, 256, 0,
                "node", 1, now, now, 0), Duration.ofMinutes(5));
    }

    /** Connections the operator holds open to a Redis server (its client name), by CLIENT LIST. */
    static long operatorConnections(RedisServerProcess server) {
        try (Jedis admin = new Jedis("127.0.0.1", server.port())) {
            return java.util.Arrays.stream(admin.clientList().split("\n")).filter(l -> l.contains(" name=reservoir-operator ")).count();
        }
    }

    static Map<String, String> labels(String pool) {
        return PoolLabels.selectorLabels(pool);
    }
}
