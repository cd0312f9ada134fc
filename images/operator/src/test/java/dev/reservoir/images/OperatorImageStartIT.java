package dev.reservoir.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots the operator from the image's own file tree with the image's entrypoint (on a local JDK;
 * the /opt/reservoir prefix is mapped into a temp directory) and checks the endpoints the Helm
 * chart's probes and metrics Service use. There is no API server here, so the operator is told
 * not to start reconciling (RESERVOIR_OPERATOR_START_ON_BOOT=false): the process must be live,
 * report itself not ready (with the reason), and serve its metrics.
 */
class OperatorImageStartIT {
    @TempDir
    Path root;
    Process operator;

    @AfterEach
    void stop() throws InterruptedException {
        if (operator != null && operator.isAlive()) {
            operator.destroy();
            if (!operator.waitFor(20, TimeUnit.SECONDS)) {
                operator.destroyForcibly();
            }
        }
    }

    @Test
    void theImageBootsAndServesTheProbedEndpoints() throws Exception {
        Path tar = Path.of(System.getProperty("reservoir.image.tar"));
        ImageTar image = ImageTar.read(tar);
        ImageTar.extract(tar, root);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : image.entrypoint().subList(1, image.entrypoint().size())) {
            command.add(arg.startsWith("/opt/") ? inImage(arg).toString() : arg);
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(root.resolve("operator.log").toFile());
        pb.directory(inImage(image.workingDir()).toFile());
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        pb.environment().put("RESERVOIR_OPERATOR_START_ON_BOOT", "false");
        // No cluster: keep the client from reading a developer's kubeconfig.
        pb.environment().put("KUBECONFIG", root.resolve("no-kubeconfig").toString());
        operator = pb.start();

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> live = await(http, "http://127.0.0.1:" + port + "/q/health/live");
        assertThat(live.statusCode()).as(log()).isEqualTo(200);
        HttpResponse<String> ready = get(http, "http://127.0.0.1:" + port + "/q/health/ready");
        assertThat(ready.statusCode()).as("not ready until the operator runs\n" + ready.body()).isEqualTo(503);
        assertThat(ready.body()).as("the operator's own readiness check answers").contains("\"operator\"").contains("not started");
        HttpResponse<String> metrics = get(http, "http://127.0.0.1:" + port + "/q/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        // Prometheus text format (the reconcile meters appear once the operator runs).
        assertThat(metrics.body()).contains("# TYPE jvm_");
    }

    private Path inImage(String absolute) {
        return root.resolve(absolute.replaceFirst("^/", ""));
    }

    private HttpResponse<String> await(HttpClient http, String url) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!operator.isAlive()) {
                throw new AssertionError("the operator exited with " + operator.exitValue() + "\n" + log());
            }
            try {
                return get(http, url);
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("no answer from " + url + " within 90 s\n" + log());
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String log() {
        try {
            return "--- operator log ---\n" + Files.readString(root.resolve("operator.log"));
        } catch (IOException e) {
            return "(no operator log: " + e.getMessage() + ")";
        }
    }
}
