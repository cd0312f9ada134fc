package dev.reservoir.worker.it;

import dev.reservoir.worker.handler.TaskContext;
import dev.reservoir.worker.handler.TaskHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Test-only: blocks for the payload's milliseconds and swallows every interrupt meanwhile, like a
 * handler stuck in code that ignores interrupts (a busy loop, a native call, a careless catch).
 */
public final class StubbornHandler implements TaskHandler {
    @Override
    public String name() {
        return "stubborn";
    }

    @Override
    public byte[] handle(TaskContext context) {
        byte[] payload = context.payloadBytes();
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(new String(payload, StandardCharsets.UTF_8)));
        while (System.nanoTime() < until) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ignored) {
                // the point of this handler
            }
        }
        return payload;
    }
}
