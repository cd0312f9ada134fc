package dev.reservoir.operator.reconciler;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scale-down stabilization for the autoscaler, as a HorizontalPodAutoscaler does it
 * ({@code behavior.scaleDown.stabilizationWindowSeconds}): a higher recommendation is followed at once,
 * a lower one only down to the <em>highest recommendation seen within the window</em>. So a queue that
 * is empty for a moment between batches does not drain workers that the next batch needs again (and
 * whose JVMs would have to warm up again).
 *
 * <p>The history lives in memory, per pool (by uid). After an operator restart (or when autoscaling is
 * switched on) there is none, and the window is not <em>covered</em> yet: the autoscaler then scales up
 * as usual but does not scale down until a whole window has been observed, so a restart never turns a
 * momentary dip into a scale-down.
 *
 * <p>Thread-safe: pools are reconciled on several threads; one pool's reconciles never run at once, and
 * each history is guarded by its own monitor anyway.
 */
public final class ScaleDownStabilizer {
    /** Pool uid → its history. */
    private final Map<String, History> histories = new ConcurrentHashMap<>();

    /**
     * The replicas to set now.
     *
     * @param current        spec.replicas as it is
     * @param recommendation what the queue asks for now (already within min/max)
     * @param window         the stabilization window; zero turns stabilization off
     * @param min            autoscaling.minReplicas, max autoscaling.maxReplicas: the result stays within them
     *                       (a lowered maxReplicas applies at once, as with an HPA)
     */
    public int stabilize(String pool, int current, int recommendation, Duration window, int min, int max, long nowMillis) {
        int wanted;
        if (window.isZero() || window.isNegative()) {
            histories.remove(pool);
            wanted = recommendation;
        } else {
            History history = histories.computeIfAbsent(pool, k -> new History(nowMillis));
            wanted = history.stabilize(current, recommendation, window.toMillis(), nowMillis);
        }
        return Math.max(min, Math.min(max, wanted));
    }

    /** The pool was deleted (or its autoscaling switched off): its history goes. */
    public void forget(String pool) {
        histories.remove(pool);
    }

    /** Pools with a history (for tests). */
    public int tracked() {
        return histories.size();
    }

    /**
     * One pool's recommendations within the window, as a monotonic queue: from oldest to newest the
     * values strictly decrease, because an older entry that is not higher than a newer one can never
     * be the window's maximum again. So the head is the maximum and the queue holds at most one entry
     * per distinct replica count, however often the pool is reconciled.
     */
    private static final class History {
        /** Guarded by this. Each entry: {time millis, recommendation}. */
        private final ArrayDeque<long[]> entries = new ArrayDeque<>();
        /** Guarded by this. Since when every recommendation is in {@link #entries}: the window is covered when this is a window ago. */
        private long completeSinceMillis;

        History(long firstSeenMillis) {
            this.completeSinceMillis = firstSeenMillis;
        }

        synchronized int stabilize(int current, int recommendation, long windowMillis, long now) {
            while (!entries.isEmpty() && entries.peekLast()[1] <= recommendation) {
                entries.pollLast();
            }
            entries.addLast(new long[] {now, recommendation});
            long cutoff = now - windowMillis;
            while (entries.peekFirst()[0] <= cutoff) {
                entries.pollFirst(); // never the entry just added: windowMillis > 0
            }
            // What fell out was older than the cutoff; a longer window than before is covered only from here on.
            completeSinceMillis = Math.max(completeSinceMillis, cutoff);
            if (recommendation >= current) {
                return recommendation; // scale up (or stay) at once
            }
            if (completeSinceMillis > cutoff) {
                return current; // not a whole window observed yet (operator restart, window lengthened): no scale-down
            }
            return (int) Math.min(current, entries.peekFirst()[1]);
        }
    }
}
