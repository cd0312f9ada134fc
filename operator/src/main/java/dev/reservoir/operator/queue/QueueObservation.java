package dev.reservoir.operator.queue;

import dev.reservoir.operator.status.QueueSnapshot;
import dev.reservoir.protocol.Heartbeat;
import java.util.Map;

/**
 * What Redis said about one pool's queue in one reconcile: live heartbeats by worker id, pending
 * entries by consumer, and the queue figures.
 */
public record QueueObservation(Map<String, Heartbeat> heartbeats, Map<String, Long> pendingByConsumer, long backlog, long inFlight,
                               long completed, long failed, long deadLettered) {

    public QueueSnapshot snapshot() {
        int busy = (int) heartbeats.values().stream().filter(h -> h.inFlight() > 0 || h.busyThreads() > 0).count();
        return new QueueSnapshot(backlog, inFlight, completed, failed, deadLettered, busy);
    }
}
