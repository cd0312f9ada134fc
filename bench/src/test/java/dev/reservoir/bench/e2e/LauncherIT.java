package dev.reservoir.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/reservoir as a user runs it: demo and bench end to end, and Ctrl-C on 'local' (SIGINT to the
 * whole foreground process group, as a terminal sends it) leaves no process behind.
 */
class LauncherIT {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final String LAUNCHER = ROOT.resolve("bin/reservoir").toString();

    @TempDir
    Path dir;

    record Run(int exit, String out, List<ProcessHandle> processes) {
    }

    /** Runs the launcher in its own session (pid = process group id), recording every process it started. */
    static Run run(Path log, long timeoutSeconds, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("setsid", LAUNCHER));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        List<ProcessHandle> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (p.isAlive() && System.nanoTime() < deadline) {
            p.descendants().forEach(d -> {
                if (seen.stream().noneMatch(s -> s.pid() == d.pid())) {
                    seen.add(d);
                }
            });
            Thread.sleep(100);
        }
        if (p.isAlive()) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("'reservoir " + String.join(" ", args) + "' did not finish in " + timeoutSeconds + " s:\n" + Files.readString(log));
        }
        return new Run(p.exitValue(), Files.readString(log), seen);
    }

    static void assertNothingLeft(List<ProcessHandle> processes, String log) throws InterruptedException {
        for (ProcessHandle h : processes) {
            h.onExit().completeOnTimeout(h, 30, TimeUnit.SECONDS).join();
            assertThat(h.isAlive()).as("pid %d (%s) still running; log:\n%s", h.pid(), h.info().command().orElse("?"), log).isFalse();
        }
    }

    @Test
    void demoRunsAMixedWorkloadAndStopsCleanly() throws Exception {
        Run r = run(dir.resolve("demo.log"), 300, "demo", "--tasks", "3000", "--workers", "2", "--threads", "4");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("Throughput").contains("Latency      p50").contains("Per worker").contains("demo-w1").contains("demo-w2")
                .contains("Nothing left running");
        assertThat(r.processes()).as("the JVM, 2 workers and Redis").hasSizeGreaterThanOrEqualTo(4);
        assertNothingLeft(r.processes(), r.out());
    }

    @Test
    void benchPrintsMachineReadableLinesForEveryWorkload() throws Exception {
        Run r = run(dir.resolve("bench.log"), 300, "bench", "--workers", "2", "--threads", "2", "--noop-tasks", "3000",
                "--sleep-tasks", "100", "--cpu-tasks", "6", "--latency-calls", "200",
                "--latency-warm-up", "2000");
        assertThat(r.exit()).as(r.out()).isZero();
        for (String metric : List.of("noop tasks_per_s ", "latency p50_ms ", "latency p99_ms ", "latency p999_ms ", "latency ping_p99_ms ",
                "latency host_steal_pct ", "sleep wall_over_ideal ", "cpu tasks_per_s ", "cpu efficiency ")) {
            assertThat(r.out().lines()).as(metric).anyMatch(l -> l.startsWith(metric) && l.substring(metric.length()).matches("[0-9.]+"));
        }
        assertThat(r.out()).contains("WORKLOAD METRIC").contains("round-trip warm-up: ").contains("latency: measuring 200 calls");
        assertNothingLeft(r.processes(), r.out());
    }

    @Test
    void ctrlCOnALocalPoolDrainsEveryWorkerStopsRedisAndLeavesNothingRunning() throws Exception {
        Path yaml = dir.resolve("pool.yaml");
        Files.writeString(yaml, """
                apiVersion: reservoir.dev/v1alpha1
                kind: WorkerPool
                metadata: {name: ctrl-c}
                spec:
                  replicas: 2
                  image: ignored-locally:1
                  threads: 2
                  drainTimeout: 10s
                  template: {nodeSelector: {disk: ssd}}
                """);
        Path log = dir.resolve("local.log");
        Process p = new ProcessBuilder("setsid", LAUNCHER, "local", "-f", yaml.toString()).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
                if (line.contains("Ctrl-C drains")) {
                    break;
                }
            }
            assertThat(lines).as("output").anyMatch(l -> l.startsWith("pool ctrl-c: 2 worker(s) × 2 threads ready"));
            List<ProcessHandle> started = p.descendants().toList();
            assertThat(started).as("the JVM, 2 workers and Redis").hasSizeGreaterThanOrEqualTo(4);
            // Ctrl-C: the terminal sends SIGINT to every process of the foreground group.
            new ProcessBuilder("kill", "-INT", "--", "-" + p.pid()).inheritIO().start().waitFor();
            Thread.ofPlatform().daemon().start(() -> out.lines().forEach(lines::add));
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped after Ctrl-C:\n" + String.join("\n", lines)).isTrue();
            assertThat(p.exitValue()).isEqualTo(130);
            Files.write(log, lines);
            assertNothingLeft(started, String.join("\n", lines));
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void aKilledSupervisorLeavesNoWorkerOrRedisBehind() throws Exception {
        Path yaml = dir.resolve("pool.yaml");
        Files.writeString(yaml, """
                apiVersion: reservoir.dev/v1alpha1
                kind: WorkerPool
                metadata: {name: orphans}
                spec: {replicas: 2, threads: 1, drainTimeout: 5s}
                """);
        Process p = new ProcessBuilder("setsid", LAUNCHER, "local", "-f", yaml.toString()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.contains("Ctrl-C drains")) {
                // wait until ready
            }
            List<ProcessHandle> started = p.descendants().toList();
            ProcessHandle jvm = started.stream().filter(h -> h.info().commandLine().orElse("").contains(ReservoirMain.class.getName())).findFirst().orElseThrow();
            jvm.destroyForcibly(); // kill -9 the supervisor: no shutdown hook runs
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertNothingLeft(started, "supervisor killed");
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }
}
