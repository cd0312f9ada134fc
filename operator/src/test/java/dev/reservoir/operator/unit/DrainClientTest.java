package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.reservoir.operator.model.WorkerPodFactory;
import dev.reservoir.operator.reconciler.DrainClient;
import dev.reservoir.operator.reconciler.DrainClient.Outcome;
import dev.reservoir.redis.RedisServerProcess;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drain requests against a real HTTP server that holds each request until the test lets it answer:
 * {@link DrainClient#request} must return while the worker has not answered (a reconcile never waits),
 * the answer must be picked up afterwards, and failures must come back as FAILED, never as a throw.
 */
class DrainClientTest {
    HttpServer server;
    ExecutorService serverThreads;
    final CountDownLatch answer = new CountDownLatch(1);
    static final String TOKEN = "pool-token";
    final AtomicInteger received = new AtomicInteger();
    /** The Authorization header of every request received, in order. */
    final java.util.List<String> authorizations = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile int status = 200;

    @BeforeEach
    void startWorkerEndpoint() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.createContext("/drain", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            received.incrementAndGet();
            try {
                answer.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.start();
    }

    @AfterEach
    void stop() {
        answer.countDown();
        server.stop(0);
        serverThreads.shutdownNow();
    }

    static Pod pod(String name, String ip, int port) {
        return new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().addNewContainer().withName(WorkerPodFactory.CONTAINER)
                .addNewPort().withName(WorkerPodFactory.HTTP_PORT_NAME).withContainerPort(port).endPort().endContainer().endSpec()
                .withNewStatus().withPodIP(ip).endStatus().build();
    }

    Pod pod(String name) {
        return pod(name, "127.0.0.1", server.getAddress().getPort());
    }

    @Test
    void requestReturnsBeforeTheWorkerAnswersAndTheAnswerIsReadLater() throws Exception {
        DrainClient drains = new DrainClient(Duration.ofMinutes(2), 8);
        CountDownLatch woken = new CountDownLatch(1);
        assertThat(drains.request("pool", pod("w-1"), TOKEN, woken::countDown)).isEqualTo(Outcome.IN_FLIGHT);
        // The worker holds the request: the caller is already back.
        await().until(() -> received.get() == 1);
        assertThat(authorizations).as("the pool's token goes with the request").containsExactly("Bearer " + TOKEN);
        assertThat(drains.outcome("pool", "w-1")).isEqualTo(Outcome.IN_FLIGHT);
        assertThat(drains.request("pool", pod("w-1"), TOKEN, woken::countDown)).as("not sent twice while open").isEqualTo(Outcome.IN_FLIGHT);
        assertThat(drains.inFlight()).isEqualTo(1);
        assertThat(woken.getCount()).isEqualTo(1);

        answer.countDown();
        assertThat(woken.await(60, TimeUnit.SECONDS)).as("the answer asks for a reconcile").isTrue();
        assertThat(drains.outcome("pool", "w-1")).isEqualTo(Outcome.ACCEPTED);
        assertThat(drains.inFlight()).isZero();
        assertThat(received.get()).isEqualTo(1);
        drains.forget("pool", "w-1");
        assertThat(drains.outcome("pool", "w-1")).isEqualTo(Outcome.NONE);
    }

    @Test
    void unreachableRefusedOrSilentWorkersFail() throws Exception {
        DrainClient drains = new DrainClient(Duration.ofMillis(300), 8);
        assertThat(drains.request("pool", pod("no-ip", null, 8080), TOKEN, () -> { })).as("no address yet").isEqualTo(Outcome.FAILED);

        int closed = RedisServerProcess.freePort();
        assertThat(drains.request("pool", pod("closed", "127.0.0.1", closed), TOKEN, () -> { })).isEqualTo(Outcome.IN_FLIGHT);
        // The server holds this one past the timeout.
        assertThat(drains.request("pool", pod("silent"), TOKEN, () -> { })).isEqualTo(Outcome.IN_FLIGHT);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(drains.outcome("pool", "closed")).isEqualTo(Outcome.FAILED);
            assertThat(drains.outcome("pool", "silent")).isEqualTo(Outcome.FAILED);
        });
        assertThat(drains.inFlight()).isZero();

        status = 503; // reachable, but says no
        answer.countDown();
        assertThat(drains.request("pool", pod("refusing"), TOKEN, () -> { })).isEqualTo(Outcome.IN_FLIGHT);
        await().atMost(Duration.ofSeconds(30)).until(() -> drains.outcome("pool", "refusing") == Outcome.FAILED);
    }

    @Test
    void boundedInFlightAndForgottenRequestsStayForgotten() throws Exception {
        DrainClient drains = new DrainClient(Duration.ofMinutes(2), 1);
        CountDownLatch woken = new CountDownLatch(1);
        assertThat(drains.request("a", pod("a-1"), TOKEN, woken::countDown)).isEqualTo(Outcome.IN_FLIGHT);
        assertThat(drains.request("b", pod("b-1"), TOKEN, () -> { })).as("over the bound: not sent, asked again later").isEqualTo(Outcome.NONE);
        assertThat(drains.outcome("b", "b-1")).isEqualTo(Outcome.NONE);
        await().until(() -> received.get() == 1);

        drains.retain("a", Set.of()); // the pod went away while its request was open
        answer.countDown();
        assertThat(woken.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(drains.outcome("a", "a-1")).as("a late answer does not bring it back").isEqualTo(Outcome.NONE);
        assertThat(drains.inFlight()).isZero();

        assertThat(drains.request("b", pod("b-1"), TOKEN, () -> { })).isEqualTo(Outcome.IN_FLIGHT);
        await().atMost(Duration.ofSeconds(30)).until(() -> drains.outcome("b", "b-1") == Outcome.ACCEPTED);
        drains.forgetPool("b");
        assertThat(drains.outcome("b", "b-1")).isEqualTo(Outcome.NONE);
    }
}
