package dev.reservoir.worker.builtin;

import dev.reservoir.worker.handler.TaskContext;
import dev.reservoir.worker.handler.TaskHandler;

/** Returns its payload: the no-op for tests and the throughput benchmark. */
public final class EchoHandler implements TaskHandler {
    @Override
    public String name() {
        return "echo";
    }

    @Override
    public byte[] handle(TaskContext context) {
        return context.payloadBytes();
    }
}
