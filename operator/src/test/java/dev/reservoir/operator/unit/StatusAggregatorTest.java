package dev.reservoir.operator.unit;

import static dev.reservoir.operator.status.StatusAggregator.AVAILABLE;
import static dev.reservoir.operator.status.StatusAggregator.DEGRADED;
import static dev.reservoir.operator.status.StatusAggregator.PROGRESSING;
import static dev.reservoir.operator.status.StatusAggregator.find;
import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.api.v1alpha1.WorkerPoolStatus;
import dev.reservoir.operator.status.Problem;
import dev.reservoir.operator.status.QueueSnapshot;
import dev.reservoir.operator.status.StatusAggregator;
import dev.reservoir.operator.status.StatusInputs;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusAggregatorTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant T1 = Instant.parse("2026-01-01T00:05:00Z");
    private static final QueueSnapshot QUEUE = new QueueSnapshot(40, 8, 1000, 3, 1, 2);

    private static StatusInputs steady(int desired, int ready) {
        return new StatusInputs("thumbs", 3, desired, desired, ready, desired, QUEUE, List.of(), null);
    }

    @Test
    void countsAndQueueFiguresAreCopied() {
        WorkerPoolStatus s = StatusAggregator.aggregate(steady(4, 4), null, T0);
        assertThat(s.replicas).isEqualTo(4);
        assertThat(s.readyReplicas).isEqualTo(4);
        assertThat(s.updatedReplicas).isEqualTo(4);
        assertThat(s.busyWorkers).isEqualTo(2);
        assertThat(s.backlog).isEqualTo(40);
        assertThat(s.inFlight).isEqualTo(8);
        assertThat(s.completed).isEqualTo(1000);
        assertThat(s.failed).isEqualTo(3);
        assertThat(s.deadLettered).isEqualTo(1);
        assertThat(s.observedGeneration).isEqualTo(3);
        assertThat(s.selector).isEqualTo("app.kubernetes.io/name=reservoir-worker,app.kubernetes.io/managed-by=reservoir-operator,"
                + "reservoir.dev/pool=thumbs");
        assertThat(find(s, AVAILABLE).getStatus()).isEqualTo("True");
        assertThat(find(s, PROGRESSING).getStatus()).isEqualTo("False");
        assertThat(find(s, DEGRADED).getStatus()).isEqualTo("False");
    }

    @Test
    void sameObservationsGiveAnEqualStatusSoNothingIsWritten() {
        WorkerPoolStatus first = StatusAggregator.aggregate(steady(4, 4), null, T0);
        WorkerPoolStatus again = StatusAggregator.aggregate(steady(4, 4), first, T1);
        assertThat(again).isEqualTo(first);
        assertThat(find(again, AVAILABLE).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
    }

    @Test
    void transitionTimeMovesOnlyWhenTheConditionFlips() {
        WorkerPoolStatus ok = StatusAggregator.aggregate(steady(4, 4), null, T0);
        WorkerPoolStatus short1 = StatusAggregator.aggregate(steady(4, 3), ok, T1);
        assertThat(find(short1, AVAILABLE).getStatus()).isEqualTo("False");
        assertThat(find(short1, AVAILABLE).getReason()).isEqualTo("WorkersNotReady");
        assertThat(find(short1, AVAILABLE).getMessage()).isEqualTo("3 of 4 workers ready");
        assertThat(find(short1, AVAILABLE).getLastTransitionTime()).isEqualTo("2026-01-01T00:05:00Z");
        assertThat(find(short1, DEGRADED).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
    }

    @Test
    void problemsMakeItDegradedWithTheirReasonAndMessage() {
        StatusInputs in = new StatusInputs("thumbs", 4, 4, 4, 4, 4, null,
                List.of(new Problem(Problem.REDIS_UNREACHABLE, "cannot reach Redis at redis://redis:6379: Connection refused")),
                null);
        WorkerPoolStatus before = StatusAggregator.aggregate(steady(4, 4), null, T0);
        WorkerPoolStatus s = StatusAggregator.aggregate(in, before, T1);
        assertThat(find(s, DEGRADED).getStatus()).isEqualTo("True");
        assertThat(find(s, DEGRADED).getReason()).isEqualTo("RedisUnreachable");
        assertThat(find(s, DEGRADED).getMessage()).contains("redis://redis:6379");
        // Redis unreadable: the last queue figures stay instead of dropping to zero.
        assertThat(s.backlog).isEqualTo(40);
        assertThat(s.completed).isEqualTo(1000);
        assertThat(s.observedGeneration).isEqualTo(4);
    }

    @Test
    void progressCarriesItsReason() {
        StatusInputs in = new StatusInputs("thumbs", 3, 4, 4, 4, 2, QUEUE, List.of(),
                new StatusInputs.Progress("Rolling", "2 of 4 workers on the current template"));
        WorkerPoolStatus s = StatusAggregator.aggregate(in, null, T0);
        assertThat(find(s, PROGRESSING).getStatus()).isEqualTo("True");
        assertThat(find(s, PROGRESSING).getReason()).isEqualTo("Rolling");
        assertThat(s.updatedReplicas).isEqualTo(2);
    }
}
