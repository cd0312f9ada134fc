package dev.reservoir.worker;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter, for a loop that retries a Redis call: each wait is drawn uniformly
 * from the upper half of the current step ("equal jitter"), and the step doubles up to a cap. The jitter
 * keeps hundreds of workers that lost the same Redis from reconnecting in lockstep when it comes back.
 *
 * <p>Not thread-safe: each retrying loop owns one.
 */
final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    /** The current step; owned by the loop's thread. */
    private long stepMillis;

    Backoff(long initialMillis, long maxMillis) {
        this.initialMillis = initialMillis;
        this.maxMillis = maxMillis;
        this.stepMillis = initialMillis;
    }

    /** The next wait (between half the step and the step), and doubles the step up to the cap. */
    long next() {
        long step = stepMillis;
        stepMillis = Math.min(maxMillis, step * 2);
        return step / 2 + ThreadLocalRandom.current().nextLong(step - step / 2 + 1);
    }

    /** Sleeps the next wait (an interrupt ends it and stays set, as {@link Worker#sleep}). */
    void sleep() {
        Worker.sleep(next());
    }

    /** Back to the first step, after a call succeeded. */
    void reset() {
        stepMillis = initialMillis;
    }
}
