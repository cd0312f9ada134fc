package dev.reservoir.operator.apiserver;

import static dev.reservoir.operator.apiserver.ApiFixture.heartbeat;
import static dev.reservoir.operator.apiserver.ApiFixture.podNames;
import static dev.reservoir.operator.apiserver.ApiFixture.pods;
import static dev.reservoir.operator.apiserver.ApiFixture.pool;
import static dev.reservoir.operator.apiserver.ApiFixture.runAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.operator.support.LocalDrainClient;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import dev.reservoir.api.v1alpha1.AutoscalingSpec;
import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolStatus;
import dev.reservoir.operator.model.WorkerPodFactory;
import dev.reservoir.operator.queue.RedisConnections;
import dev.reservoir.operator.runtime.OperatorRunner;
import dev.reservoir.operator.status.StatusAggregator;
import dev.reservoir.protocol.Task;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisServerProcess;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import redis.clients.jedis.Jedis;

/**
 * The operator against fabric8's CRUD mock API server and a real Redis. The mock has no kubelet:
 * {@link ApiFixture#runAll} marks pods Running/Ready and writes their workers' heartbeats.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class WorkerPoolApiServerTest {
    static RedisServerProcess redisServer;

    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    KubernetesClient client;
    @Inject
    OperatorRunner runner;
    @Inject
    MeterRegistry registry;
    @Inject
    RedisConnections connections;

    @TestHTTPResource("/q/metrics")
    URL metricsUrl;
    @TestHTTPResource("/q/health/ready")
    URL readyUrl;

    Jedis jedis;
    String ns;

    @BeforeAll
    static void redis() {
        redisServer = RedisServerProcess.onFreePort(false).start();
    }

    @AfterAll
    static void stopRedis() {
        redisServer.stop();
    }

    @BeforeEach
    void setUp(TestInfo info) {
        ApiFixture.installCrd(client);
        if (runner.operator() == null) {
            ApiFixture.allowLeases(server);
        }
        runner.start();
        jedis = new Jedis("127.0.0.1", redisServer.port());
        ns = info.getTestMethod().orElseThrow().getName().toLowerCase().replaceAll("[^a-z0-9]", "").substring(0, 12);
    }

    @AfterEach
    void deletePools() {
        // The mock server has no garbage collector: delete the pools so the operator stops reconciling them.
        client.resources(WorkerPool.class).inNamespace(ns).delete();
        jedis.close();
    }

    private WorkerPool create(WorkerPool pool) {
        return client.resources(WorkerPool.class).inNamespace(ns).resource(pool).create();
    }

    private WorkerPool get(String name) {
        return client.resources(WorkerPool.class).inNamespace(ns).withName(name).get();
    }

    /** A read-modify-write of the pool, retried when the operator's status write came in between (409), as kubectl edit would. */
    private void edit(String name, Consumer<WorkerPool> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                client.resources(WorkerPool.class).inNamespace(ns).withName(name).edit(p -> {
                    change.accept(p);
                    return p;
                });
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    /** The condition, failing (so an await retries) while the status or the condition is not there yet. */
    private Condition condition(String name, String type) {
        WorkerPoolStatus status = get(name).getStatus();
        assertThat(status).as("status of " + name).isNotNull();
        Condition c = StatusAggregator.find(status, type);
        assertThat(c).as(type + " condition of " + name).isNotNull();
        return c;
    }

    /** Discards what the mock API server recorded so far: {@link #takeRequests} returns what comes after. */
    private void forgetRequests() throws InterruptedException {
        var mock = server.getKubernetesMockServer();
        while (mock.takeRequest(10, TimeUnit.MILLISECONDS) != null) {
            // discard
        }
    }

    /** The requests the mock API server received since {@link #forgetRequests}, in order. */
    private List<RecordedRequest> takeRequests() throws InterruptedException {
        var mock = server.getKubernetesMockServer();
        List<RecordedRequest> requests = new ArrayList<>();
        for (RecordedRequest r = mock.takeRequest(10, TimeUnit.MILLISECONDS); r != null; r = mock.takeRequest(10, TimeUnit.MILLISECONDS)) {
            requests.add(r);
        }
        return requests;
    }

    /**
     * What was done to this test's pods, in order: "create" (POST), "drain NAME" (a PATCH of the pod: the operator
     * patches a pod only to put the drain annotation on) and "delete NAME" (DELETE). Status writes (this test playing
     * the kubelet) are left out. (The mock server has consumed the bodies by now, so creates go unnamed.)
     */
    private List<String> podActions(List<RecordedRequest> requests) {
        String pods = "/api/v1/namespaces/" + ns + "/pods";
        List<String> actions = new ArrayList<>();
        for (RecordedRequest r : requests) {
            String path = r.getPath().split("\\?")[0];
            if (r.getMethod().equals("POST") && path.equals(pods)) {
                actions.add("create");
            } else if (path.startsWith(pods + "/") && !path.endsWith("/status")) {
                String name = path.substring(pods.length() + 1);
                if (r.getMethod().equals("DELETE")) {
                    actions.add("delete " + name);
                } else if (r.getMethod().equals("PATCH") || r.getMethod().equals("PUT")) {
                    actions.add("drain " + name);
                }
            }
        }
        return actions;
    }

    private double reconciles() {
        return registry.counter("reservoir.operator.reconciles").count();
    }

    /** Waits until the operator has reconciled at least n more times (resync every second). */
    private void awaitReconciles(int n) {
        double start = reconciles();
        await().atMost(Duration.ofSeconds(60)).until(() -> reconciles() >= start + n);
    }

    private void awaitRunning(String pool, int replicas) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            runAll(client, jedis, ns, pool);
            assertThat(pods(client, ns, pool)).hasSize(replicas)
                    .allSatisfy(p -> assertThat(p.getStatus() == null ? null : p.getStatus().getPhase()).isEqualTo("Running"));
            WorkerPoolStatus s = get(pool).getStatus();
            assertThat(s).isNotNull();
            assertThat(s.readyReplicas).isEqualTo(replicas);
            assertThat(s.replicas).isEqualTo(replicas);
        });
    }

    @Test
    void createMakesOwnedPodsAndReportsStatus() {
        WorkerPool created = create(pool(ns, "thumbs", 3, redisServer.url()));
        awaitRunning("thumbs", 3);
        List<Pod> pods = pods(client, ns, "thumbs");
        assertThat(pods).allSatisfy(p -> {
            assertThat(p.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(o -> assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid()));
            assertThat(p.getMetadata().getName()).matches("thumbs-[0-9a-f]{10}-[a-z0-9]{5}");
            assertThat(p.getSpec().getContainers().getFirst().getImage()).isEqualTo("reservoir-worker:test");
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            WorkerPoolStatus s = get("thumbs").getStatus();
            assertThat(s.observedGeneration).isEqualTo(get("thumbs").getMetadata().getGeneration());
            assertThat(s.updatedReplicas).isEqualTo(3);
            assertThat(s.selector).contains("reservoir.dev/pool=thumbs");
            assertThat(condition("thumbs", "Available").getStatus()).isEqualTo("True");
            assertThat(condition("thumbs", "Progressing").getStatus()).isEqualTo("False");
            assertThat(condition("thumbs", "Degraded").getStatus()).isEqualTo("False");
        });
    }

    @Test
    void scaleUpCreatesAndScaleDownDrainsIdleWorkersFirst() {
        create(pool(ns, "scale", 2, redisServer.url()));
        awaitRunning("scale", 2);
        edit("scale", p -> p.getSpec().replicas = 4);
        awaitRunning("scale", 4);
        List<String> names = podNames(client, ns, "scale");
        // Two workers busy, two idle, by their heartbeats.
        Set<String> busy = Set.of(names.get(0), names.get(2));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            names.forEach(n -> heartbeat(jedis, "scale", n, busy.contains(n) ? 3 : 0));
            assertThat(get("scale").getStatus().busyWorkers).isEqualTo(2);
        });
        edit("scale", p -> p.getSpec().replicas = 2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(podNames(client, ns, "scale"))
                .containsExactlyInAnyOrderElementsOf(busy));
        awaitReconciles(3);
        assertThat(podNames(client, ns, "scale")).containsExactlyInAnyOrderElementsOf(busy);
    }

    @Test
    void deadPodIsReplacedAndItsTasksReclaimedAtOnce() {
        create(pool(ns, "reclaim", 2, redisServer.url()));
        awaitRunning("reclaim", 2);
        Pod victim = pods(client, ns, "reclaim").getFirst();
        String worker = victim.getMetadata().getName();
        PoolQueue queue = new PoolQueue("reclaim");
        queue.ensureGroup(jedis);
        for (int i = 0; i < 3; i++) {
            queue.submit(jedis, Task.of("t" + i, "echo", new byte[] {(byte) i}, null));
        }
        assertThat(queue.read(jedis, worker, 10, Duration.ofMillis(100))).hasSize(3);
        assertThat(queue.inFlightByConsumer(jedis)).containsEntry(worker, 3L);
        // The worker crashes: its pod fails and its heartbeat is gone.
        queue.removeHeartbeat(jedis, worker);
        ApiFixture.setPhase(client, victim, "Failed", false);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            runAll(client, jedis, ns, "reclaim");
            assertThat(podNames(client, ns, "reclaim")).hasSize(2).doesNotContain(worker);
            assertThat(queue.inFlightByConsumer(jedis)).doesNotContainKey(worker);
            assertThat(queue.backlog(jedis)).isEqualTo(3);
        });
        // A pod deleted by someone else is replaced too.
        String other = podNames(client, ns, "reclaim").getFirst();
        client.pods().inNamespace(ns).withName(other).delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(podNames(client, ns, "reclaim"))
                .hasSize(2).doesNotContain(other, worker));
    }

    @Test
    void drainRequestsNeverHoldUpReconciling() throws Exception {
        // One worker endpoint for all the pool's pods, which answers POST /drain only when the test lets it.
        CountDownLatch answer = new CountDownLatch(1);
        AtomicInteger asked = new AtomicInteger();
        Set<String> authorizations = java.util.concurrent.ConcurrentHashMap.newKeySet();
        HttpServer worker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        worker.createContext("/drain", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            asked.incrementAndGet();
            try {
                answer.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(202, -1);
            exchange.close();
        });
        ExecutorService workerThreads = Executors.newCachedThreadPool();
        worker.setExecutor(workerThreads);
        worker.start();
        create(pool(ns, "slowdrain", 3, redisServer.url()));
        awaitRunning("slowdrain", 3);
        List<String> names = podNames(client, ns, "slowdrain");
        names.forEach(n -> LocalDrainClient.PORTS.put(n, worker.getAddress().getPort()));
        try {
            edit("slowdrain", p -> p.getSpec().replicas = 1);
            // Both drained workers hold their answer. Reconciling goes on meanwhile: later passes count them as
            // draining (status.replicas 1), and none is deleted (slow is not unreachable).
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(asked.get()).isEqualTo(2);
                assertThat(get("slowdrain").getStatus().replicas).isEqualTo(1);
            });
            awaitReconciles(3);
            assertThat(asked.get()).as("each worker asked once, not again while its request is open").isEqualTo(2);
            assertThat(authorizations).as("every drain request carries the pool's token").containsExactly("Bearer " + workerToken("slowdrain"));
            List<Pod> marked = pods(client, ns, "slowdrain").stream()
                    .filter(p -> p.getMetadata().getAnnotations().containsKey(PoolLabels.DRAIN_ANNOTATION)).toList();
            assertThat(marked).hasSize(2);
            assertThat(podNames(client, ns, "slowdrain")).as("nothing deleted while the answers are pending").isEqualTo(names);

            // The workers accept: they drain and exit by themselves, so their pods stay until then.
            answer.countDown();
            awaitReconciles(3);
            assertThat(podNames(client, ns, "slowdrain")).isEqualTo(names);
            assertThat(asked.get()).as("an accepted drain is not asked again").isEqualTo(2);
            marked.forEach(p -> ApiFixture.setPhase(client, p, "Succeeded", false));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(pods(client, ns, "slowdrain")).hasSize(1)
                    .allSatisfy(p -> assertThat(p.getMetadata().getAnnotations()).doesNotContainKey(PoolLabels.DRAIN_ANNOTATION)));
        } finally {
            answer.countDown();
            worker.stop(0);
            workerThreads.shutdownNow();
            names.forEach(LocalDrainClient.PORTS::remove);
        }
    }

    /** The pool's worker token, read from the Secret the operator created. */
    private String workerToken(String pool) {
        var secret = client.secrets().inNamespace(ns).withName(PoolLabels.workerTokenSecretName(pool)).get();
        assertThat(secret).as("the worker-token Secret of " + pool).isNotNull();
        if (secret.getData() == null || secret.getData().get(WorkerPodFactory.WORKER_TOKEN_KEY) == null) {
            return secret.getStringData().get(WorkerPodFactory.WORKER_TOKEN_KEY); // the mock server keeps stringData as written
        }
        return new String(java.util.Base64.getDecoder().decode(secret.getData().get(WorkerPodFactory.WORKER_TOKEN_KEY)),
                java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Test
    void workerTokenSecretIsCreatedOnceOwnedByThePoolAndNeverShownInPods() throws Exception {
        forgetRequests();
        WorkerPool created = create(pool(ns, "tok", 2, redisServer.url()));
        awaitRunning("tok", 2);
        String token = workerToken("tok");
        assertThat(token).as("32 random bytes, base64url").matches("[A-Za-z0-9_-]{43}");
        var secret = client.secrets().inNamespace(ns).withName("tok-worker-token").get();
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid());
            assertThat(o.getKind()).isEqualTo("WorkerPool");
            assertThat(o.getController()).isTrue();
        });
        awaitReconciles(3);
        assertThat(workerToken("tok")).as("never replaced").isEqualTo(token);
        String secrets = "/api/v1/namespaces/" + ns + "/secrets";
        assertThat(takeRequests().stream().filter(r -> r.getMethod().equals("POST") && r.getPath().split("\\?")[0].equals(secrets)))
                .as("created once, however many reconciles").hasSize(1);
        assertThat(pods(client, ns, "tok")).allSatisfy(p -> assertThat(Serialization.asJson(p)).doesNotContain(token));
        // A token Secret that is already there (an operator restart, a second operator) is used as it is.
        client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("pre-worker-token").endMetadata()
                .addToStringData(WorkerPodFactory.WORKER_TOKEN_KEY, "given-token").build()).create();
        create(pool(ns, "pre", 1, redisServer.url()));
        awaitRunning("pre", 1);
        assertThat(workerToken("pre")).isEqualTo("given-token");
    }

    @Test
    void templateChangeRollsOneSurgeAtATime() throws Exception {
        create(pool(ns, "roll", 3, redisServer.url()));
        awaitRunning("roll", 3);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(condition("roll", "Progressing").getStatus()).isEqualTo("False"));
        Set<String> before = new HashSet<>(podNames(client, ns, "roll"));
        String oldHash = WorkerPodFactory.templateHashOf(pods(client, ns, "roll").getFirst());
        forgetRequests();
        edit("roll", p -> p.getSpec().threads = 8);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            List<Pod> now = pods(client, ns, "roll");
            runAll(client, jedis, ns, "roll");
            assertThat(now).hasSize(3).allSatisfy(p -> {
                assertThat(WorkerPodFactory.templateHashOf(p)).isNotEqualTo(oldHash);
                assertThat(p.getSpec().getContainers().getFirst().getEnv())
                        .anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("RESERVOIR_THREADS=8"));
            });
            assertThat(get("roll").getStatus().updatedReplicas).isEqualTo(3);
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(condition("roll", "Progressing").getStatus()).isEqualTo("False"));

        // Replay what the operator did to the pods, in the order the API server received it: a pod counts from its
        // create until it is marked for drain or deleted, whichever comes first.
        List<String> actions = podActions(takeRequests());
        int created = 0;
        Set<String> leaving = new HashSet<>();
        int most = before.size();
        for (String action : actions) {
            if (action.equals("create")) {
                created++;
            } else {
                leaving.add(action.substring(action.indexOf(' ') + 1));
            }
            most = Math.max(most, before.size() + created - leaving.size());
        }
        assertThat(created).as("one new pod per old one, none twice: %s", actions).isEqualTo(3);
        assertThat(leaving).as("exactly the old pods were drained or deleted: %s", actions).isEqualTo(before);
        assertThat(most).as("never more than one surge pod: %s", actions).isEqualTo(4);
        assertThat(podNames(client, ns, "roll")).hasSize(3).doesNotContainAnyElementsOf(before);
    }

    @Test
    void badSpecDegradesWithoutTouchingPods() {
        create(pool(ns, "bad", 2, redisServer.url()));
        awaitRunning("bad", 2);
        List<String> before = podNames(client, ns, "bad");
        // The mock API server does not validate: the operator must catch it.
        edit("bad", p -> {
            p.getSpec().threads = 0;
            p.getSpec().drainTimeout = "soon";
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Condition degraded = condition("bad", "Degraded");
            assertThat(degraded.getStatus()).isEqualTo("True");
            assertThat(degraded.getReason()).isEqualTo("InvalidSpec");
            assertThat(degraded.getMessage()).contains("spec.threads", "spec.drainTimeout");
            assertThat(get("bad").getStatus().observedGeneration).isEqualTo(get("bad").getMetadata().getGeneration());
        });
        List<Event> events = client.v1().events().inNamespace(ns).list().getItems();
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("InvalidSpec");
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getInvolvedObject().getName()).isEqualTo("bad");
        });
        awaitReconciles(5);
        assertThat(podNames(client, ns, "bad")).isEqualTo(before);
        assertThat(client.v1().events().inNamespace(ns).list().getItems().stream().filter(e -> "InvalidSpec".equals(e.getReason())))
                .as("one event per problem, not one per reconcile").hasSize(1);
        // Fixed: Degraded clears, the pool rolls to the new template.
        edit("bad", p -> {
            p.getSpec().threads = 2;
            p.getSpec().drainTimeout = "30s";
        });
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            runAll(client, jedis, ns, "bad");
            assertThat(condition("bad", "Degraded").getStatus()).isEqualTo("False");
            assertThat(get("bad").getStatus().updatedReplicas).isEqualTo(2);
        });
    }

    @Test
    void objectsTheOperatorCannotReadDegradeWhileEveryOtherPoolIsReconciled() {
        // As version skew or a non-validating API server brings them: an unknown field, a string where a number
        // belongs, a value outside the enum. One such object used to fail the informer's whole list.
        Map<String, String> bad = Map.of(
                "unknown", "\"replicas\": 1, \"turbo\": true",
                "wrongtype", "\"replicas\": 1, \"threads\": \"four\"",
                "badchoice", "\"replicas\": 1, \"threadMode\": \"turbo\"");
        bad.forEach((name, fields) -> client.genericKubernetesResources(WorkerPool.GROUP + "/" + WorkerPool.VERSION, "WorkerPool")
                .inNamespace(ns).resource(client.getKubernetesSerialization().unmarshal("{\"apiVersion\": \"reservoir.dev/v1alpha1\","
                        + " \"kind\": \"WorkerPool\", \"metadata\": {\"name\": \"" + name + "\"}, \"spec\": {" + fields
                        + ", \"image\": \"reservoir-worker:test\", \"queue\": {\"redis\": {\"url\": \"" + redisServer.url() + "\"}}}}",
                        GenericKubernetesResource.class)).create());
        create(pool(ns, "good", 2, redisServer.url()));
        awaitRunning("good", 2);
        Map<String, String> fieldOf = Map.of("unknown", "spec.turbo: unknown field", "wrongtype",
                "spec.threads: 'four' is not a whole number: use 1 to 1024", "badchoice", "spec.threadMode: 'turbo' is not one of platform, virtual");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> fieldOf.forEach((name, message) -> {
            Condition degraded = condition(name, "Degraded");
            assertThat(degraded.getStatus()).as(name).isEqualTo("True");
            assertThat(degraded.getReason()).as(name).isEqualTo("InvalidSpec");
            assertThat(degraded.getMessage()).as(name).contains(message);
            assertThat(podNames(client, ns, name)).as(name).isEmpty();
        }));
        assertThat(client.v1().events().inNamespace(ns).list().getItems()).filteredOn(e -> "InvalidSpec".equals(e.getReason()))
                .extracting(e -> e.getInvolvedObject().getName()).containsExactlyInAnyOrder("unknown", "wrongtype", "badchoice");
        // The operator still watches: a change to the good pool is acted on.
        edit("good", p -> p.getSpec().replicas = 3);
        awaitRunning("good", 3);
        assertThat(runner.operator().getRuntimeInfo().allEventSourcesAreHealthy()).isTrue();
    }

    @Test
    void unreadableSecretAndUnreachableRedisDegradeWithTheirCause() throws Exception {
        // A Redis that wants a password, which only the Secret knows.
        try (RedisServerProcess secured = RedisServerProcess.onFreePort(false).start()) {
            try (Jedis admin = new Jedis("127.0.0.1", secured.port())) {
                admin.configSet("requirepass", "s3cret");
            }
            // Three ways to fail reading the password: no such Secret, no such key, access denied (a 403 from the
            // API server). Whoever reads the pool's status learns the same from each: only what the spec says.
            SecretKeyRef missing = new SecretKeyRef("redis-auth", "password");
            SecretKeyRef noKey = new SecretKeyRef("other-keys", "password");
            SecretKeyRef denied = new SecretKeyRef("not-yours", "password");
            client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName(noKey.name).endMetadata()
                    .addToStringData("token", "t").build()).create();
            server.expect().get().withPath("/api/v1/namespaces/" + ns + "/secrets/" + denied.name)
                    .andReturn(403, new io.fabric8.kubernetes.api.model.StatusBuilder().withCode(403).withReason("Forbidden")
                            .withMessage("secrets \"not-yours\" is forbidden: User \"system:serviceaccount:x:y\" cannot get resource")
                            .build()).always();
            Map<String, SecretKeyRef> refs = Map.of("secret", missing, "nokey", noKey, "denied", denied);
            refs.forEach((name, ref) -> {
                WorkerPool p = pool(ns, name, 2, secured.url());
                p.getSpec().queue.redis.passwordSecretRef = ref;
                create(p);
            });
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> refs.forEach((name, ref) -> {
                Condition degraded = condition(name, "Degraded");
                assertThat(degraded.getReason()).as(name).isEqualTo("SecretUnreadable");
                assertThat(degraded.getMessage()).as(name).isEqualTo("cannot read key password of Secret " + ref.name
                        + " (spec.queue.redis.passwordSecretRef): check it exists, holds the key, and the operator may read it");
            }));
            assertThat(client.v1().events().inNamespace(ns).list().getItems()).filteredOn(e -> "SecretUnreadable".equals(e.getReason()))
                    .extracting(Event::getMessage).allSatisfy(m -> assertThat(m).doesNotContain("not found", "forbidden", "token", "no key"));
            for (String name : refs.keySet()) {
                assertThat(pods(client, ns, name)).as("no pod that could not start: " + name).isEmpty();
            }
            client.resources(WorkerPool.class).inNamespace(ns).withName("nokey").delete();
            client.resources(WorkerPool.class).inNamespace(ns).withName("denied").delete();
            client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("redis-auth").endMetadata()
                    .addToStringData("password", "s3cret").build()).create();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(pods(client, ns, "secret")).hasSize(2);
                assertThat(condition("secret", "Degraded").getStatus()).isEqualTo("False");
            });
            assertThat(pods(client, ns, "secret").getFirst().getSpec().getContainers().getFirst().getEnv())
                    .anySatisfy(e -> assertThat(e.getValueFrom() == null || e.getValueFrom().getSecretKeyRef() == null ? null
                            : e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("redis-auth"));
            client.resources(WorkerPool.class).inNamespace(ns).withName("secret").delete();
        }

        int closedPort = RedisServerProcess.freePort();
        create(pool(ns, "noredis", 2, "redis://127.0.0.1:" + closedPort));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Condition degraded = condition("noredis", "Degraded");
            assertThat(degraded.getReason()).isEqualTo("RedisUnreachable");
            assertThat(degraded.getMessage()).contains("127.0.0.1:" + closedPort);
        });
        // Creating missing workers is safe without Redis; they wait for it themselves.
        assertThat(pods(client, ns, "noredis")).hasSize(2);
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("RedisUnreachable"));
    }

    @Test
    void restartAdoptsExistingPodsWithoutDuplicates() throws Exception {
        create(pool(ns, "adopt", 3, redisServer.url()));
        awaitRunning("adopt", 3);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(condition("adopt", "Progressing").getStatus()).isEqualTo("False"));
        List<String> before = podNames(client, ns, "adopt");
        forgetRequests();
        runner.stop();
        runner.start();
        awaitReconciles(4);
        runAll(client, jedis, ns, "adopt");
        awaitReconciles(2);
        List<RecordedRequest> requests = takeRequests();
        assertThat(requests).as("the restarted operator lists the pods again")
                .anySatisfy(r -> assertThat(r.getMethod() + " " + r.getPath()).startsWith("GET /api/v1/pods?"));
        assertThat(podActions(requests)).as("pods created, drained or deleted after the restart").isEmpty();
        assertThat(podNames(client, ns, "adopt")).isEqualTo(before);
    }

    @Test
    void steadyStateReconcilesWriteNothing() throws Exception {
        create(pool(ns, "steady", 2, redisServer.url()));
        awaitRunning("steady", 2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(condition("steady", "Progressing").getStatus()).isEqualTo("False"));
        awaitReconciles(2);
        var mock = server.getKubernetesMockServer();
        while (mock.takeRequest(10, TimeUnit.MILLISECONDS) != null) {
            // drain what came before
        }
        double start = reconciles();
        awaitReconciles(6);
        double done = reconciles() - start;
        List<String> writes = new java.util.ArrayList<>();
        int requests = 0;
        for (var r = mock.takeRequest(10, TimeUnit.MILLISECONDS); r != null; r = mock.takeRequest(10, TimeUnit.MILLISECONDS)) {
            requests++;
            if (!"GET".equals(r.getMethod()) && r.getPath().contains("/namespaces/" + ns + "/")) {
                writes.add(r.getMethod() + " " + r.getPath());
            }
        }
        assertThat(writes).as("writes during %s steady reconciles", done).isEmpty();
        System.out.printf("steady state: %.0f reconciles, %d API requests (%d writes)%n", done, requests, writes.size());
    }

    @Test
    void imagePullErrorDegradesAndKeepsThePods() {
        create(pool(ns, "pull", 2, redisServer.url()));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(pods(client, ns, "pull")).hasSize(2));
        List<String> before = podNames(client, ns, "pull");
        for (Pod p : pods(client, ns, "pull")) {
            client.pods().inNamespace(ns).withName(p.getMetadata().getName()).editStatus(pod -> {
                pod.setStatus(new PodStatusBuilder().withPhase("Pending").withContainerStatuses(new ContainerStatusBuilder()
                        .withName("worker").withState(new ContainerStateBuilder().withNewWaiting().withReason("ImagePullBackOff")
                                .withMessage("Back-off pulling image \"reservoir-worker:test\"").endWaiting().build()).build()).build());
                return pod;
            });
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Condition degraded = condition("pull", "Degraded");
            assertThat(degraded.getReason()).isEqualTo("ImagePullFailed");
            assertThat(degraded.getMessage()).contains("reservoir-worker:test", "spec.image", "ImagePullBackOff");
        });
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("ImagePullFailed"));
        awaitReconciles(3);
        assertThat(podNames(client, ns, "pull")).as("no churn while the image cannot be pulled").isEqualTo(before);
    }

    @Test
    void autoscalingSetsReplicasFromTheQueue() {
        WorkerPool p = pool(ns, "auto", 1, redisServer.url());
        p.getSpec().autoscaling = new AutoscalingSpec();
        p.getSpec().autoscaling.minReplicas = 1;
        p.getSpec().autoscaling.maxReplicas = 5;
        p.getSpec().autoscaling.targetBacklogPerWorker = 4;
        create(p);
        PoolQueue queue = new PoolQueue("auto");
        queue.ensureGroup(jedis);
        for (int i = 0; i < 14; i++) {
            queue.submit(jedis, Task.of("a" + i, "echo", new byte[0], null));
        }
        // ceil(14 / 4) = 4 workers.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(get("auto").getSpec().replicas).isEqualTo(4);
            assertThat(pods(client, ns, "auto")).hasSize(4);
        });
        assertThat(client.v1().events().inNamespace(ns).list().getItems()).anySatisfy(e -> assertThat(e.getReason()).isEqualTo("Autoscaled"));
        // The queue empties: with the default stabilization window (300 s, and this operator has not seen the pool
        // for that long) the pool keeps its workers, however many reconciles see the empty queue.
        jedis.del(queue.keys().tasks());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("auto").getStatus().backlog).isZero());
        awaitReconciles(5);
        assertThat(get("auto").getSpec().replicas).as("no scale-down within the stabilization window").isEqualTo(4);
        // Without a window the autoscaler follows the queue down at once.
        edit("auto", pool -> pool.getSpec().autoscaling.scaleDownStabilizationSeconds = 0);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("auto").getSpec().replicas).isEqualTo(1));
    }

    @Test
    void redisConnectionsAreReleasedWhenTheEndpointChangesAndWhenThePoolIsDeleted() {
        // Servers of its own, so the connections counted are this pool's.
        try (RedisServerProcess first = RedisServerProcess.onFreePort(false).start();
             RedisServerProcess second = RedisServerProcess.onFreePort(false).start()) {
            WorkerPool created = create(pool(ns, "conns", 1, first.url()));
            String uid = created.getMetadata().getUid();
            assertThat(uid).as("the API server gives every object a uid").isNotBlank();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(connections.owners()).contains(uid);
                assertThat(ApiFixture.operatorConnections(first)).isPositive();
            });
            edit("conns", p -> p.getSpec().queue.redis.url = second.url());
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(ApiFixture.operatorConnections(second)).isPositive();
                assertThat(ApiFixture.operatorConnections(first)).as("connections to the old endpoint").isZero();
            });
            client.resources(WorkerPool.class).inNamespace(ns).withName("conns").delete();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(connections.owners()).doesNotContain(uid);
                assertThat(ApiFixture.operatorConnections(second)).as("connections of the deleted pool").isZero();
            });
        }
    }

    @Test
    void metricsAndHealthAreServed() throws Exception {
        create(pool(ns, "observe", 1, redisServer.url()));
        awaitReconciles(2);
        HttpClient http = HttpClient.newHttpClient();
        String metrics = http.send(HttpRequest.newBuilder(metricsUrl.toURI()).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("reservoir_operator_reconciles_total", "reservoir_operator_reconcile_errors_total",
                "reservoir_operator_reconcile_duration_seconds_count", "reservoir_operator_pod_actions_total");
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(readyUrl.toURI()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("\"operator\"", "UP");
    }
}
