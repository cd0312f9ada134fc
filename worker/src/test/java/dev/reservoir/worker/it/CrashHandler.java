package dev.reservoir.worker.it;

import dev.reservoir.worker.handler.TaskContext;
import dev.reservoir.worker.handler.TaskHandler;

/** Test-only poison: kills its own worker process mid-task, like a segfault or an OOM kill would. */
public final class CrashHandler implements TaskHandler {
    @Override
    public String name() {
        return "crash";
    }

    @Override
    public byte[] handle(TaskContext context) {
        Runtime.getRuntime().halt(137);
        return new byte[0];
    }
}
