package dev.reservoir.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Runs what the image runs: the image's file tree (extracted from the tar this build wrote) started
 * with the image's own entrypoint flags, classpath file and main class on a local JDK, against a
 * real Redis. Catches what a layout check cannot: a library missing from the image, a flag the JVM
 * rejects, a main class that does not start. The path prefix /opt/reservoir is mapped into a temp
 * directory (there is no container runtime here).
 */
class WorkerImageStartIT {
    @TempDir
    Path root;
    RedisServerProcess redis;
    Process worker;

    @AfterEach
    void stop() {
        if (worker != null && worker.isAlive()) {
            worker.destroyForcibly();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void theImageStartsRunsATaskAndDrainsToExitZero() throws Exception {
        Path tar = Path.of(System.getProperty("reservoir.image.tar"));
        ImageTar image = ImageTar.read(tar);
        ImageTar.extract(tar, root);
        redis = RedisServerProcess.onFreePort(false).start();
        int httpPort = RedisServerProcess.freePort();

        List<String> command = commandFromEntrypoint(image.entrypoint());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(root.resolve("worker.log").toFile());
        pb.directory(inImage(image.workingDir()).toFile());
        pb.environment().put("RESERVOIR_HANDLERS_DIR", inImage(image.env().get("RESERVOIR_HANDLERS_DIR")).toString());
        pb.environment().put("RESERVOIR_REDIS_URL", redis.url());
        pb.environment().put("RESERVOIR_POOL", "image-check");
        pb.environment().put("RESERVOIR_WORKER_ID", "image-check-1");
        pb.environment().put("RESERVOIR_THREADS", "2");
        pb.environment().put("RESERVOIR_HTTP_PORT", Integer.toString(httpPort));
        pb.environment().put("RESERVOIR_DRAIN_TIMEOUT", "5s");
        worker = pb.start();

        HttpClient http = HttpClient.newHttpClient();
        awaitReady(http, httpPort);

        PoolQueue queue = new PoolQueue("image-check");
        try (Jedis jedis = new Jedis(URI.create(redis.url()))) {
            queue.submit(jedis, Task.of("t-1", "echo", "from the image".getBytes(StandardCharsets.UTF_8), null));
            TaskResult result = awaitResult(jedis, queue, "t-1");
            assertThat(result.isOk()).as(log()).isTrue();
            assertThat(new String(result.value(), StandardCharsets.UTF_8)).isEqualTo("from the image");
        }

        HttpResponse<String> drain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/drain"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(drain.statusCode()).isEqualTo(202);
        assertThat(worker.waitFor(60, TimeUnit.SECONDS)).as("worker exits after drain\n" + log()).isTrue();
        assertThat(worker.exitValue()).as(log()).isZero();
    }

    /** The entrypoint with the classpath argument file rewritten to the extracted tree. */
    private List<String> commandFromEntrypoint(List<String> entrypoint) throws IOException {
        assertThat(entrypoint.getFirst()).isEqualTo("java");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (int i = 1; i < entrypoint.size(); i++) {
            String arg = entrypoint.get(i);
            if (arg.startsWith("@")) {
                String classpath = Files.readString(inImage(arg.substring(1))).strip();
                List<String> mapped = new ArrayList<>();
                for (String element : classpath.split(":")) {
                    mapped.add(inImage(element).toString());
                }
                arg = String.join(java.io.File.pathSeparator, mapped);
            }
            command.add(arg);
        }
        return command;
    }

    private Path inImage(String absolute) {
        return root.resolve(absolute.replaceFirst("^/", ""));
    }

    private void awaitReady(HttpClient http, int port) throws Exception {
        URI ready = URI.create("http://127.0.0.1:" + port + "/ready");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!worker.isAlive()) {
                throw new AssertionError("the worker exited with " + worker.exitValue() + " before it was ready\n" + log());
            }
            try {
                if (http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the worker was not ready within 60 s\n" + log());
    }

    private TaskResult awaitResult(Jedis jedis, PoolQueue queue, String taskId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            TaskResult r = queue.result(jedis, taskId);
            if (r != null) {
                return r;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no result for " + taskId + " within 30 s\n" + log());
    }

    private String log() {
        try {
            return "--- worker log ---\n" + Files.readString(root.resolve("worker.log"));
        } catch (IOException e) {
            return "(no worker log: " + e.getMessage() + ")";
        }
    }
}
