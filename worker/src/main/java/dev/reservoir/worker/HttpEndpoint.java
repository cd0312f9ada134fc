package dev.reservoir.worker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Queue;
import java.util.SequencedSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The worker's operations endpoint, HTTP/1.1 with one request per connection:
 * {@code GET /live} (200 until a fatal error), {@code GET /ready} (200 only while consuming, and never after a
 * fatal error), {@code GET /metrics} (Prometheus text), {@code GET /status} (the heartbeat as text),
 * {@code POST /drain} (start draining; the preStop hook and the operator use it).
 *
 * <p><b>Who may call what.</b> {@code /live}, {@code /ready} and {@code /metrics} answer anyone who reaches
 * the port (kubelet probes, Prometheus); they tell health and counters, nothing else. {@code POST /drain}
 * and {@code GET /status} answer only the operator: with a token configured ({@code RESERVOIR_HTTP_TOKEN}, from
 * the pool's Secret) the request must carry {@code Authorization: Bearer <token>}, else 401; with none (local
 * mode, a bare worker) only loopback callers, else 403.
 *
 * <p><b>Why not the JDK's HttpServer.</b> It reads a request's line and headers on its executor's thread, in
 * blocking mode and with no deadline by default, so each connection that stalls mid-header holds a thread and
 * the probes queue behind it. Here nothing blocks on a client:
 * <ol>
 *   <li>One selector thread ({@code reservoir-http}) accepts, reads request heads and writes answers, all
 *       non-blocking: a connection that sends nothing costs a buffer and a file descriptor, never a thread.</li>
 *   <li>Each connection has {@code requestTimeout} from its accept to finish its head and again from then to
 *       take its whole answer; past either it is closed.</li>
 *   <li>At most {@link #MAX_CONNECTIONS} are open. A new one beyond that evicts the oldest connection still
 *       reading its head (slow or idle: it has had its chance), so a probe always gets in; when every open
 *       connection is already being answered, the new one is closed at once.</li>
 *   <li>{@code /live} and {@code /ready} are answered on the selector thread (two volatile reads), so no
 *       handler, however slow, delays them.</li>
 *   <li>{@code /metrics}, {@code /status} and {@code /drain} run on {@link #HANDLER_THREADS} threads with a
 *       queue of {@link #HANDLER_QUEUE}; beyond that the answer is 503.</li>
 *   <li>A head is at most {@link #MAX_HEAD_BYTES}; a longer one gets 431.</li>
 * </ol>
 * An {@link Error} on either kind of thread goes to the worker's fatal-error policy (its thread factories).
 */
final class HttpEndpoint {
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_CONNECTIONS = 64;
    static final int HANDLER_THREADS = 2;
    static final int HANDLER_QUEUE = 16;
    static final int MAX_HEAD_BYTES = 8 * 1024;
    private static final long SELECT_TICK_MILLIS = 100;
    private static final Logger LOG = Logger.getLogger(HttpEndpoint.class.getName());

    /** One accepted connection. Touched only by the selector thread, except {@code answerReady} (handed over through {@link #answered}). */
    private static final class Connection {
        final SocketChannel channel;
        final SelectionKey key;
        final ByteBuffer head = ByteBuffer.allocate(MAX_HEAD_BYTES);
        /** When this connection is closed: {@code requestTimeout} after its accept, then again after its head and after its answer is known. */
        long deadlineNanos;
        /** True once the head is complete: from then the connection waits for, or takes, its answer. */
        boolean headDone;
        /** The answer being written; null until it is known. */
        ByteBuffer answer;

        Connection(SocketChannel channel, SelectionKey key, long deadlineNanos) {
            this.channel = channel;
            this.key = key;
            this.deadlineNanos = deadlineNanos;
        }
    }

    private record Answered(Connection connection, byte[] answer) {
    }

    private final Worker worker;
    private final HttpToken token;
    private final long requestTimeoutNanos;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final ThreadPoolExecutor handlers;
    /** Open connections in accept order. Selector thread only. */
    private final SequencedSet<Connection> connections = new LinkedHashSet<>();
    /** Answers computed on handler threads, for the selector thread to write. */
    private final Queue<Answered> answered = new ConcurrentLinkedQueue<>();
    private final Thread selectorThread;
    /** Set by {@link #stop}; the selector thread ends when it sees it. */
    private volatile boolean stopping;

    private HttpEndpoint(int port, Worker worker, HttpToken token, Duration requestTimeout, ThreadFactory selectorThreads,
            ThreadFactory handlerThreads) throws IOException {
        this.worker = worker;
        this.token = token;
        this.requestTimeoutNanos = requestTimeout.toNanos();
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(port), MAX_CONNECTIONS);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        this.handlers = new ThreadPoolExecutor(HANDLER_THREADS, HANDLER_THREADS, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(HANDLER_QUEUE), handlerThreads, new ThreadPoolExecutor.AbortPolicy());
        this.selectorThread = selectorThreads.newThread(this::selectLoop);
    }

    /**
     * Listens on {@code port} (0: any free port) on every interface.
     *
     * @param token null: no token configured, so drain and status answer loopback callers only
     */
    static HttpEndpoint start(int port, Worker worker, HttpToken token, Duration requestTimeout, ThreadFactory selectorThreads,
            ThreadFactory handlerThreads) {
        try {
            HttpEndpoint endpoint = new HttpEndpoint(port, worker, token, requestTimeout, selectorThreads, handlerThreads);
            endpoint.selectorThread.start();
            return endpoint;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on HTTP port " + port + " (RESERVOIR_HTTP_PORT): " + e.getMessage(), e);
        }
    }

    int port() {
        try {
            return ((InetSocketAddress) server.getLocalAddress()).getPort();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Closes the port and every connection; answers still being computed are dropped. */
    void stop() {
        stopping = true;
        selector.wakeup();
        handlers.shutdownNow();
        if (Thread.currentThread() != selectorThread) {
            try {
                selectorThread.join(TimeUnit.NANOSECONDS.toMillis(requestTimeoutNanos));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- selector thread

    private void selectLoop() {
        try {
            while (!stopping) {
                selector.select(SELECT_TICK_MILLIS);
                Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
                while (ready.hasNext()) {
                    SelectionKey key = ready.next();
                    ready.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else if (key.attachment() instanceof Connection c) {
                        if (key.isReadable()) {
                            read(c);
                        } else if (key.isWritable()) {
                            write(c);
                        }
                    }
                }
                for (Answered a; (a = answered.poll()) != null; ) {
                    startAnswer(a.connection(), a.answer());
                }
                expire();
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!stopping) {
                throw new UncheckedIOException("the HTTP endpoint's selector failed: " + e.getMessage(),
                        e instanceof IOException io ? io : new IOException(e));
            }
        } finally {
            new ArrayList<>(connections).forEach(this::close);
            closeQuietly(server);
            closeQuietly(selector);
        }
    }

    private void accept() {
        SocketChannel channel;
        while ((channel = acceptOne()) != null) {
            if (connections.size() >= MAX_CONNECTIONS && !evictOldestReadingHead()) {
                closeQuietly(channel); // every open connection is being answered: this one would only wait
                continue;
            }
            try {
                channel.configureBlocking(false);
                SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
                Connection c = new Connection(channel, key, System.nanoTime() + requestTimeoutNanos);
                key.attach(c);
                connections.add(c);
            } catch (IOException e) {
                closeQuietly(channel);
            }
        }
    }

    /** The next pending connection, or null when there is none or accepting failed (out of file descriptors: retried on the next select). */
    private SocketChannel acceptOne() {
        try {
            return server.accept();
        } catch (IOException e) {
            LOG.warning("cannot accept an HTTP connection: " + e.getMessage());
            return null;
        }
    }

    private boolean evictOldestReadingHead() {
        for (Connection c : connections) {
            if (!c.headDone) {
                close(c);
                return true;
            }
        }
        return false;
    }

    private void read(Connection c) {
        int n;
        try {
            n = c.channel.read(c.head);
        } catch (IOException e) {
            close(c);
            return;
        }
        if (n < 0) {
            close(c);
            return;
        }
        int end = HttpWire.headEnd(c.head);
        if (end < 0) {
            if (!c.head.hasRemaining()) {
                c.headDone = true;
                startAnswer(c, HttpWire.answer(431, "request head longer than " + MAX_HEAD_BYTES + " bytes\n"));
            }
            return;
        }
        c.headDone = true;
        c.deadlineNanos = System.nanoTime() + requestTimeoutNanos;
        c.key.interestOps(0);
        HttpWire.Request request = HttpWire.parse(loopback(c), new String(c.head.array(), 0, end, StandardCharsets.ISO_8859_1));
        if (request == null) {
            startAnswer(c, HttpWire.answer(400, "not an HTTP request\n"));
            return;
        }
        route(c, request);
    }

    /** Answers at once what needs no worker call that could take time; hands the rest to a handler thread. */
    private void route(Connection c, HttpWire.Request r) {
        switch (r.path()) {
            case "/live" -> {
                boolean live = worker.isLive();
                startAnswer(c, HttpWire.answer(live ? 200 : 503, live ? "live\n" : "not live: " + fatalError() + "\n"));
            }
            case "/ready" -> {
                boolean ready = worker.isReady();
                startAnswer(c, HttpWire.answer(ready ? 200 : 503, ready ? "ready\n"
                        : "not ready: " + (worker.isLive() ? worker.state() : worker.state() + ", " + fatalError()) + "\n"));
            }
            case "/metrics" -> handOff(c, () -> HttpWire.answer(200, worker.scrapeMetrics(), "text/plain; version=0.0.4; charset=utf-8"));
            case "/status" -> {
                byte[] refused = refusal(r);
                if (refused != null) {
                    startAnswer(c, refused);
                } else {
                    handOff(c, () -> HttpWire.answer(200, worker.heartbeat().toFields().toString() + "\n"));
                }
            }
            case "/drain" -> {
                byte[] refused = !"POST".equals(r.method()) ? HttpWire.answer(405, "use POST /drain\n") : refusal(r);
                if (refused != null) {
                    startAnswer(c, refused);
                } else {
                    handOff(c, () -> {
                        worker.requestDrain();
                        return HttpWire.answer(202, "draining\n");
                    });
                }
            }
            default -> startAnswer(c, HttpWire.answer(404, "no such path: use /live, /ready, /metrics, /status or POST /drain\n"));
        }
    }

    /** Null when the caller may use an operator-only route; else the 401 or 403 answer. */
    private byte[] refusal(HttpWire.Request r) {
        if (token == null) {
            return r.loopback() ? null : HttpWire.answer(403, "this worker has no RESERVOIR_HTTP_TOKEN: " + r.path()
                    + " answers only loopback callers\n");
        }
        return token.admits(r.authorization()) ? null
                : HttpWire.answer(401, "send Authorization: Bearer <the pool's worker token>\n", "text/plain; charset=utf-8",
                        "WWW-Authenticate: Bearer realm=\"reservoir-worker\"\r\n");
    }

    private void handOff(Connection c, Supplier<byte[]> handler) {
        try {
            handlers.execute(() -> {
                byte[] answer;
                try {
                    answer = handler.get();
                } catch (RuntimeException e) {
                    answer = HttpWire.answer(500, "failed: " + e + "\n");
                }
                answered.add(new Answered(c, answer));
                selector.wakeup();
            });
        } catch (RejectedExecutionException e) {
            startAnswer(c, HttpWire.answer(503, "busy: " + (HANDLER_THREADS + HANDLER_QUEUE) + " requests in progress; retry\n"));
        }
    }

    private void startAnswer(Connection c, byte[] answer) {
        if (!c.key.isValid()) {
            return; // closed meanwhile (expired or evicted)
        }
        c.answer = ByteBuffer.wrap(answer);
        c.deadlineNanos = System.nanoTime() + requestTimeoutNanos;
        c.key.interestOps(SelectionKey.OP_WRITE);
        write(c);
    }

    private void write(Connection c) {
        try {
            c.channel.write(c.answer);
        } catch (IOException e) {
            close(c);
            return;
        }
        if (!c.answer.hasRemaining()) {
            close(c);
        }
    }

    /** Closes every connection whose phase outlasted its deadline. */
    private void expire() {
        long now = System.nanoTime();
        List<Connection> late = new ArrayList<>();
        for (Connection c : connections) {
            if (now - c.deadlineNanos > 0) {
                late.add(c);
            }
        }
        late.forEach(this::close);
    }

    private void close(Connection c) {
        connections.remove(c);
        c.key.cancel();
        closeQuietly(c.channel);
    }

    private String fatalError() {
        Throwable error = worker.fatalError();
        return "fatal error " + error + " (see the log); replace this worker";
    }

    private static boolean loopback(Connection c) {
        try {
            return c.channel.getRemoteAddress() instanceof InetSocketAddress a && a.getAddress().isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // closing: nothing left to tell the peer
        }
    }
}
