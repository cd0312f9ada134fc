package dev.reservoir.operator.support;

import dev.reservoir.operator.model.PoolLabels;
import dev.reservoir.protocol.WorkerEnv;
import dev.reservoir.redis.RedisServerProcess;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A small kubelet for one namespace of the mock API server: each worker pod the operator creates is
 * started as a real local worker process (java ... WorkerMain, configured by the pod's env), its
 * status follows the process (Running, Ready from GET /ready, Succeeded/Failed on exit), and a pod
 * deleted while its process runs gets SIGTERM, as a kubelet would send it.
 *
 * <p>One scheduler thread does everything ({@link #tick()} every 200 ms), so the maps need no more
 * than being concurrent for the test thread's reads.
 */
public final class LocalKubelet implements AutoCloseable {
    private final KubernetesClient client;
    private final String namespace;
    private final List<String> command;
    private final Path logDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "local-kubelet"));

    /** Pod name → its worker process. */
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    /** Pods whose process exited, with the exit code (the pod is marked Succeeded/Failed). */
    public final Map<String, Integer> exitCodes = new ConcurrentHashMap<>();
    /** Pods deleted from the API while their worker process still ran (SIGTERM sent). */
    public final List<String> deletedWhileRunning = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Of those, the ones whose worker had become ready (was consuming): a serving worker cut off. */
    public final List<String> deletedWhileReady = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Pods whose worker answered GET /ready with 200 at some point. */
    private final java.util.Set<String> becameReady = ConcurrentHashMap.newKeySet();
    /** Pods whose Ready condition has been written to the API (after {@link #becameReady}). */
    private final java.util.Set<String> reportedReady = ConcurrentHashMap.newKeySet();
    /** Pods started, in order. */
    public final List<String> started = java.util.Collections.synchronizedList(new ArrayList<>());

    public LocalKubelet(KubernetesClient client, String namespace, List<String> javaCommand, Path logDir) {
        this.client = client;
        this.namespace = namespace;
        this.command = javaCommand;
        this.logDir = logDir;
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public LocalKubelet start() {
        loop.scheduleWithFixedDelay(() -> {
            try {
                tick();
            } catch (RuntimeException e) {
                System.err.println("local-kubelet: " + e);
            }
        }, 0, 200, TimeUnit.MILLISECONDS);
        return this;
    }

    private void tick() {
        List<Pod> pods = client.pods().inNamespace(namespace).withLabel(PoolLabels.MANAGED_BY, PoolLabels.MANAGER).list().getItems();
        Map<String, Pod> byName = new HashMap<>();
        for (Pod pod : pods) {
            String name = pod.getMetadata().getName();
            byName.put(name, pod);
            Process p = processes.get(name);
            if (p == null && !exitCodes.containsKey(name) && pod.getMetadata().getDeletionTimestamp() == null) {
                launch(pod);
            } else if (p != null && !p.isAlive()) {
                processes.remove(name);
                int code = p.exitValue();
                exitCodes.put(name, code);
                LocalDrainClient.PORTS.remove(name);
                setStatus(name, exited(code));
            } else if (p != null && !ready(pod) && readyEndpoint(name)) {
                becameReady.add(name);
                setStatus(name, running(true));
                reportedReady.add(name);
            }
        }
        // Deleted from the API: stop the process like a kubelet (SIGTERM; the worker drains and exits).
        for (Map.Entry<String, Process> e : processes.entrySet()) {
            if (!byName.containsKey(e.getKey())) {
                if (e.getValue().isAlive()) {
                    deletedWhileRunning.add(e.getKey());
                    if (becameReady.contains(e.getKey())) {
                        deletedWhileReady.add(e.getKey());
                    }
                    e.getValue().destroy();
                }
                processes.remove(e.getKey());
                LocalDrainClient.PORTS.remove(e.getKey());
            }
        }
    }

    private void launch(Pod pod) {
        String name = pod.getMetadata().getName();
        int port = RedisServerProcess.freePort();
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        for (EnvVar var : pod.getSpec().getContainers().getFirst().getEnv()) {
            env.put(var.getName(), resolve(pod, var));
        }
        env.put(WorkerEnv.HTTP_PORT, Integer.toString(port));
        env.put(WorkerEnv.HEARTBEAT_INTERVAL, "200ms");
        env.remove("JDK_JAVA_OPTIONS");
        env.put("JAVA_TOOL_OPTIONS", "-Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        pb.redirectErrorStream(true).redirectOutput(logDir.resolve(name + ".log").toFile());
        try {
            processes.put(name, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start worker for pod " + name, e);
        }
        LocalDrainClient.PORTS.put(name, port);
        started.add(name);
        setStatus(name, running(false));
    }

    private String resolve(Pod pod, EnvVar var) {
        if (var.getValueFrom() == null) {
            return var.getValue() == null ? "" : var.getValue();
        }
        if (var.getValueFrom().getFieldRef() != null) {
            return pod.getMetadata().getName(); // only metadata.name is used by the worker pods
        }
        var ref = var.getValueFrom().getSecretKeyRef();
        Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        if (secret.getData() != null && secret.getData().get(ref.getKey()) != null) {
            return new String(Base64.getDecoder().decode(secret.getData().get(ref.getKey())), StandardCharsets.UTF_8);
        }
        return secret.getStringData().get(ref.getKey()); // the mock server keeps stringData as written
    }

    private boolean readyEndpoint(String name) {
        Integer port = LocalDrainClient.PORTS.get(name);
        if (port == null) {
            return false;
        }
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready"))
                    .timeout(Duration.ofMillis(500)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static PodStatus running(boolean ready) {
        return new PodStatusBuilder().withPhase("Running").withPodIP("127.0.0.1")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").build())
                .withContainerStatuses(new ContainerStatusBuilder().withName("worker").withReady(ready)
                        .withState(new ContainerStateBuilder().withNewRunning().withStartedAt(Instant.now().toString()).endRunning().build())
                        .build())
                .build();
    }

    private static PodStatus exited(int code) {
        return new PodStatusBuilder().withPhase(code == 0 ? "Succeeded" : "Failed").withPodIP("127.0.0.1")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False").build())
                .withContainerStatuses(new ContainerStatusBuilder().withName("worker").withReady(false)
                        .withState(new ContainerStateBuilder().withNewTerminated().withExitCode(code)
                                .withReason(code == 0 ? "Completed" : "Error").endTerminated().build())
                        .build())
                .build();
    }

    private void setStatus(String name, PodStatus status) {
        try {
            client.pods().inNamespace(namespace).withName(name).editStatus(p -> {
                p.setStatus(status);
                return p;
            });
        } catch (KubernetesClientException gone) {
            // deleted meanwhile
        }
    }

    /** SIGKILL a pod's worker: a crash (OOM kill, node failure), not a drain. */
    public void kill(String pod) {
        Process p = processes.get(pod);
        if (p != null) {
            p.destroyForcibly();
        }
    }

    public int running() {
        return (int) processes.values().stream().filter(Process::isAlive).count();
    }

    /** Live workers that answered GET /ready and whose pod has been marked Ready in the API. */
    public int ready() {
        return (int) processes.entrySet().stream().filter(e -> e.getValue().isAlive() && reportedReady.contains(e.getKey())).count();
    }

    /** Every worker log, for a failing test to print. */
    public String logs() {
        StringBuilder sb = new StringBuilder();
        try (var files = Files.list(logDir)) {
            for (Path f : files.sorted().toList()) {
                List<String> lines = Files.readAllLines(f);
                sb.append("==== ").append(f.getFileName()).append('\n');
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> sb.append(l).append('\n'));
            }
        } catch (IOException e) {
            sb.append("(logs unreadable: ").append(e).append(")");
        }
        return sb.toString();
    }

    @Override
    public void close() {
        loop.shutdownNow();
        processes.values().forEach(Process::destroy);
        for (Process p : processes.values()) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
