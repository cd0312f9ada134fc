package dev.reservoir.operator.status;

import java.util.List;

/**
 * Everything the status is computed from, observed in one reconcile.
 *
 * @param queue       null when Redis could not be read (the previous queue figures are kept)
 * @param progressing null when nothing is in motion, else why pods are being created, drained or replaced
 */
public record StatusInputs(String poolName, long generation, int desiredReplicas, int replicas, int readyReplicas, int updatedReplicas,
                           QueueSnapshot queue, List<Problem> problems, Progress progressing) {

    public record Progress(String reason, String message) {
    }
}
