package dev.reservoir.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The worker's operations endpoint (JDK HTTP server: five routes need no framework):
 * {@code GET /live} (200 until a fatal error), {@code GET /ready} (200 only while consuming, and never after a fatal error),
 * {@code GET /metrics} (Prometheus text), {@code GET /status} (the heartbeat as text),
 * {@code POST /drain} (start draining; the preStop hook and the operator use it).
 */
final class HttpEndpoint {
    private final HttpServer server;

    private HttpEndpoint(HttpServer server) {
        this.server = server;
    }

    static HttpEndpoint start(int port, Worker worker) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
            server.createContext("/live", ex -> {
                boolean live = worker.isLive();
                respond(ex, live ? 200 : 503, live ? "live\n" : "not live: " + fatalError(worker) + "\n");
            });
            server.createContext("/ready", ex -> {
                boolean ready = worker.isReady();
                respond(ex, ready ? 200 : 503, ready ? "ready\n"
                        : "not ready: " + (worker.isLive() ? worker.state() : worker.state() + ", " + fatalError(worker)) + "\n");
            });
            server.createContext("/metrics", ex -> respond(ex, 200, worker.scrapeMetrics(), "text/plain; version=0.0.4; charset=utf-8"));
            server.createContext("/status", ex -> respond(ex, 200, worker.heartbeat().toFields().toString() + "\n"));
            server.createContext("/drain", ex -> {
                if (!"POST".equals(ex.getRequestMethod())) {
                    respond(ex, 405, "use POST /drain\n");
                    return;
                }
                worker.requestDrain();
                respond(ex, 202, "draining\n");
            });
            server.setExecutor(Executors.newSingleThreadExecutor(Thread.ofPlatform().name("reservoir-http").daemon(true).factory()));
            server.start();
            return new HttpEndpoint(server);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on HTTP port " + port + " (RESERVOIR_HTTP_PORT): " + e.getMessage(), e);
        }
    }

    private static String fatalError(Worker worker) {
        Throwable error = worker.fatalError();
        return "fatal error " + error + " (see the log); replace this worker";
    }

    int port() {
        return server.getAddress().getPort();
    }

    void stop() {
        server.stop(0);
    }

    private static void respond(HttpExchange ex, int code, String body) throws IOException {
        respond(ex, code, body, "text/plain; charset=utf-8");
    }

    private static void respond(HttpExchange ex, int code, String body, String contentType) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
