package dev.reservoir.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One worker JVM started by local mode. Its output goes to {@code log}.
 *
 * <p>Lifecycle: RUNNING (process alive) → DRAINING ({@link #drain()}: SIGTERM sent; the worker stops
 * claiming, finishes or hands back what it holds and exits 0) → EXITED. {@link #kill()} (SIGKILL) is
 * only the last resort of a stop that outlived its drain timeout.
 */
final class ChildWorker {
    final String name;
    final String revision;
    final Process process;
    final Path log;
    final long createdAtMillis;
    /** Set by the supervisor thread (or close) when SIGTERM was sent; read by both. */
    volatile boolean drainRequested;

    ChildWorker(String name, String revision, Process process, Path log, long createdAtMillis) {
        this.name = name;
        this.revision = revision;
        this.process = process;
        this.log = log;
        this.createdAtMillis = createdAtMillis;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    void drain() {
        drainRequested = true;
        process.destroy();
    }

    void kill() {
        process.destroyForcibly();
    }

    /** The last lines of the worker's log, for error messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size())));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
