package dev.reservoir.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.worker.handler.HandlerRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker's HTTP endpoint over real sockets, on a real worker against a real Redis: slow and idle
 * connections hold no thread and never delay the probes; drain and status answer only the token's holder
 * (or, without a token, loopback callers); many drain requests start one drain thread.
 */
class HttpEndpointTest {
    static final String TOKEN = "0123456789abcdef0123456789abcdef-test-token";
    static RedisServerProcess redis;
    static final AtomicInteger POOLS = new AtomicInteger();
    Worker worker;
    final List<Socket> stalled = new ArrayList<>();

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.onFreePort(false).start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : stalled) {
            s.close();
        }
        if (worker != null) {
            worker.drainAndStop();
        }
    }

    private TestPool startWorker(Map<String, String> extra) {
        TestPool pool = new TestPool("h" + POOLS.incrementAndGet(), redis.port());
        Map<String, String> env = new HashMap<>(Map.of("RESERVOIR_POOL", pool.keys.pool(), "RESERVOIR_REDIS_URL", redis.url(),
                "RESERVOIR_WORKER_ID", "w-" + pool.keys.pool(), "RESERVOIR_THREADS", "2", "RESERVOIR_HTTP_PORT", "0",
                "RESERVOIR_MEMORY_BLOCK_SIZE", "4Ki"));
        env.putAll(extra);
        worker = new Worker(WorkerConfig.fromEnvironment(env, new String[0]), HandlerRegistry.load(null)).start();
        await().atMost(Duration.ofSeconds(10)).until(worker::isReady);
        return pool;
    }

    /** A raw HTTP/1.1 exchange; returns the status code, failing if the whole answer takes longer than {@code within}. */
    static int send(InetAddress address, int port, String method, String path, String authorization, Duration within) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), (int) within.toMillis());
            socket.setSoTimeout((int) within.toMillis());
            String head = method + " " + path + " HTTP/1.1\r\nHost: worker\r\n"
                    + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "Content-Length: 0\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).as("answer to " + method + " " + path).startsWith("HTTP/1.1 ");
            return Integer.parseInt(answer.substring(9, 12));
        }
    }

    int send(String method, String path, String authorization) throws IOException {
        return send(InetAddress.getLoopbackAddress(), worker.httpPort(), method, path, authorization, Duration.ofSeconds(1));
    }

    /** Opens a connection that sends half a request line and then nothing. */
    Socket stall(int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.getOutputStream().write("GET /li".getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        stalled.add(socket);
        return socket;
    }

    @Test
    void probesAnswerWithinASecondWhileConnectionsStallMidRequestLine() throws Exception {
        startWorker(Map.of());
        stall(worker.httpPort());
        assertThat(send("GET", "/live", null)).isEqualTo(200);
        assertThat(send("GET", "/ready", null)).isEqualTo(200);
        // more stalled connections than the endpoint keeps open: the oldest are evicted, a probe still gets in
        for (int i = 0; i < 3 * HttpEndpoint.MAX_CONNECTIONS; i++) {
            stall(worker.httpPort());
        }
        for (int i = 0; i < 5; i++) {
            assertThat(send("GET", "/live", null)).isEqualTo(200);
            assertThat(send("GET", "/ready", null)).isEqualTo(200);
            assertThat(send("GET", "/metrics", null)).isEqualTo(200);
        }
        // and no thread per connection: the selector and the fixed handler pool only
        assertThat(threadsNamed("reservoir-http")).isBetween(1L, 1L + HttpEndpoint.HANDLER_THREADS);
    }

    @Test
    void aConnectionThatNeverFinishesItsHeadIsClosedAfterTheRequestTimeout() throws Exception {
        startWorker(Map.of());
        HttpEndpoint quick = HttpEndpoint.start(0, worker, null, Duration.ofMillis(300), Thread.ofPlatform().daemon(true).factory(),
                Thread.ofPlatform().daemon(true).factory());
        try {
            Socket socket = stall(quick.port());
            socket.setSoTimeout(5_000);
            long start = System.nanoTime();
            InputStream in = socket.getInputStream();
            assertThat(in.read()).as("closed by the endpoint, with no answer").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(200), Duration.ofSeconds(3));
        } finally {
            quick.stop();
        }
    }

    @Test
    void drainAndStatusNeedTheTokenWhileProbesAndMetricsStayOpen() throws Exception {
        startWorker(Map.of("RESERVOIR_HTTP_TOKEN", TOKEN));
        assertThat(send("GET", "/live", null)).isEqualTo(200);
        assertThat(send("GET", "/ready", null)).isEqualTo(200);
        assertThat(send("GET", "/metrics", null)).isEqualTo(200);
        assertThat(send("GET", "/status", null)).isEqualTo(401);
        assertThat(send("GET", "/status", "Bearer wrong")).isEqualTo(401);
        assertThat(send("GET", "/status", "Bearer " + TOKEN + "x")).isEqualTo(401);
        assertThat(send("GET", "/status", "Bearer " + TOKEN)).isEqualTo(200);
        // loopback is no excuse once a token is set: a sidecar shares the pod's loopback
        assertThat(send("POST", "/drain", null)).isEqualTo(401);
        assertThat(send("POST", "/drain", "Basic " + TOKEN)).isEqualTo(401);
        assertThat(worker.state()).as("refused drains drain nothing").isEqualTo(dev.reservoir.protocol.WorkerState.RUNNING);
        assertThat(send("POST", "/drain", "Bearer " + TOKEN)).isEqualTo(202);
        assertThat(worker.awaitStopped(Duration.ofSeconds(20))).isTrue();
    }

    @Test
    void withoutATokenDrainAndStatusAnswerOnlyLoopbackCallers() throws Exception {
        startWorker(Map.of());
        Optional<InetAddress> external = nonLoopbackAddress();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address to call from");
        int port = worker.httpPort();
        Duration second = Duration.ofSeconds(1);
        assertThat(send(external.get(), port, "GET", "/live", null, second)).isEqualTo(200);
        assertThat(send(external.get(), port, "GET", "/status", null, second)).isEqualTo(403);
        assertThat(send(external.get(), port, "POST", "/drain", null, second)).isEqualTo(403);
        assertThat(worker.state()).isEqualTo(dev.reservoir.protocol.WorkerState.RUNNING);
        assertThat(send("GET", "/status", null)).isEqualTo(200);
        assertThat(send("POST", "/drain", null)).isEqualTo(202);
        assertThat(worker.awaitStopped(Duration.ofSeconds(20))).isTrue();
    }

    @Test
    void manyDrainRequestsStartOneDrainThreadAndABoundedNumberOfHttpThreads() throws Exception {
        TestPool pool = startWorker(Map.of("RESERVOIR_HTTP_TOKEN", TOKEN, "RESERVOIR_DRAIN_TIMEOUT", "20s"));
        // a running task keeps the worker DRAINING (and its endpoint up) while the requests come in
        pool.submit("long", "sleep", "3000");
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.heartbeat().busyThreads() == 1);
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                answers.add(callers.submit(() -> send(InetAddress.getLoopbackAddress(), worker.httpPort(), "POST", "/drain",
                        "Bearer " + TOKEN, Duration.ofSeconds(2))));
            }
            int accepted = 0;
            for (Future<Integer> answer : answers) {
                int code = answer.get();
                assertThat(code).as("accepted, or refused for now when the handler queue is full").isIn(202, 503);
                accepted += code == 202 ? 1 : 0;
            }
            assertThat(accepted).isPositive();
        } finally {
            callers.shutdownNow();
        }
        assertThat(worker.state()).isEqualTo(dev.reservoir.protocol.WorkerState.DRAINING);
        assertThat(threadsNamed("reservoir-drain")).as("one drain, however many requests").isEqualTo(1);
        assertThat(threadsNamed("reservoir-http")).isBetween(1L, 1L + HttpEndpoint.HANDLER_THREADS);
        assertThat(worker.awaitStopped(Duration.ofSeconds(20))).isTrue();
    }

    static long threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
    }

    static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
        return NetworkInterface.networkInterfaces().filter(n -> {
            try {
                return n.isUp() && !n.isLoopback();
            } catch (SocketException e) {
                return false;
            }
        }).flatMap(NetworkInterface::inetAddresses).filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).findFirst();
    }
}
