package dev.reservoir.local;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.util.Optional;

/**
 * Entry point of a local-mode worker JVM: the worker's own main, plus a watch on the supervising
 * process. If the supervisor dies without stopping its pool (SIGKILL, crash), the worker sends itself
 * SIGTERM and drains exactly as if the supervisor had asked, so no orphan JVM is left running.
 */
public final class LocalWorkerMain {
    /** Environment variable with the supervisor's pid. */
    public static final String SUPERVISOR_PID = "RESERVOIR_SUPERVISOR_PID";

    private LocalWorkerMain() {
    }

    public static void main(String[] args) throws Throwable {
        String pid = System.getenv(SUPERVISOR_PID);
        if (pid != null) {
            Optional<ProcessHandle> supervisor = ProcessHandle.of(Long.parseLong(pid));
            if (supervisor.isEmpty()) {
                System.err.println("reservoir local worker: supervisor " + pid + " is gone; not starting");
                System.exit(0);
            }
            supervisor.get().onExit().thenRun(LocalWorkerMain::drainSelf);
        }
        try {
            Class.forName("dev.reservoir.worker.WorkerMain").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void drainSelf() {
        System.err.println("reservoir local worker: the supervisor exited; draining");
        try {
            new ProcessBuilder("kill", "-TERM", Long.toString(ProcessHandle.current().pid())).inheritIO().start();
        } catch (IOException e) {
            System.exit(0); // no kill(1): the worker's shutdown hook still drains
        }
    }
}
