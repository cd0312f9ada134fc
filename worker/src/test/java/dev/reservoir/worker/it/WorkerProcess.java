package dev.reservoir.worker.it;

import dev.reservoir.worker.WorkerMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real worker JVM (WorkerMain) started as a child process, with its output in a log file. */
final class WorkerProcess implements AutoCloseable {
    final String id;
    final Process process;
    final Path log;

    private WorkerProcess(String id, Process process, Path log) {
        this.id = id;
        this.process = process;
        this.log = log;
    }

    static WorkerProcess start(String id, Map<String, String> env) {
        try {
            Path log = Files.createTempFile("reservoir-worker-" + id + "-", ".log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName()))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            pb.environment().put("RESERVOIR_WORKER_ID", id);
            pb.environment().putIfAbsent("RESERVOIR_HTTP_PORT", "0");
            return new WorkerProcess(id, pb.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGKILL: no drain, no cleanup, claimed tasks stay pending. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM: the worker drains. */
    void terminate() {
        process.destroy();
    }

    int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("worker " + id + " did not exit within " + seconds + "s; log:\n" + log());
        }
        return process.exitValue();
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }
}
