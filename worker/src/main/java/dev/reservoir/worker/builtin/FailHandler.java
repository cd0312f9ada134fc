package dev.reservoir.worker.builtin;

import dev.reservoir.worker.handler.TaskContext;
import dev.reservoir.worker.handler.TaskHandler;
import java.nio.charset.StandardCharsets;

/** Always throws (with its payload as the message): a poison task for tests of retries and dead letters. */
public final class FailHandler implements TaskHandler {
    @Override
    public String name() {
        return "fail";
    }

    @Override
    public byte[] handle(TaskContext context) {
        String message = new String(context.payloadBytes(), StandardCharsets.UTF_8);
        throw new IllegalStateException(message.isEmpty() ? "fail handler always fails" : message);
    }
}
