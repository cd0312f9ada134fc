package dev.reservoir.worker.builtin;

import dev.reservoir.worker.handler.NonRetryableException;
import dev.reservoir.worker.handler.TaskContext;
import dev.reservoir.worker.handler.TaskHandler;
import java.nio.charset.StandardCharsets;

/**
 * Sleeps for the number of milliseconds in its payload (ASCII), then returns it: an I/O-bound task. At
 * most {@link #MAX_MILLIS}: a test or benchmark task, not a way to hold a worker thread for hours.
 */
public final class SleepHandler implements TaskHandler {
    /** Ten minutes. */
    public static final long MAX_MILLIS = 600_000;

    @Override
    public String name() {
        return "sleep";
    }

    @Override
    public byte[] handle(TaskContext context) throws Exception {
        String text = new String(context.payloadBytes(), StandardCharsets.US_ASCII).trim();
        long millis;
        try {
            millis = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new NonRetryableException("sleep: payload must be a number of milliseconds, got '" + text + "'");
        }
        if (millis < 0 || millis > MAX_MILLIS) {
            throw new NonRetryableException("sleep: milliseconds must be 0 to " + MAX_MILLIS + " (10 minutes), got " + millis);
        }
        Thread.sleep(millis);
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
