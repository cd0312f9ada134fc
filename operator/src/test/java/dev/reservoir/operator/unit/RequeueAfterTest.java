package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.operator.reconciler.WorkerPoolReconciler;
import dev.reservoir.operator.status.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a reconcile asks to look again without an event. */
class RequeueAfterTest {

    @Test
    void aFailedDependencyWinsOverProgressAndAPoolAtRestWaitsForEvents() {
        Problem redis = new Problem(Problem.REDIS_UNREACHABLE, "down");
        Problem secret = new Problem(Problem.SECRET_UNREADABLE, "gone");
        Problem pull = new Problem(Problem.IMAGE_PULL_FAILED, "no image");
        assertThat(WorkerPoolReconciler.requeueAfter(List.of(pull, redis), true)).isEqualTo(WorkerPoolReconciler.RETRY_DEPENDENCY);
        assertThat(WorkerPoolReconciler.requeueAfter(List.of(secret), false)).isEqualTo(WorkerPoolReconciler.RETRY_DEPENDENCY);
        assertThat(WorkerPoolReconciler.requeueAfter(List.of(pull), true)).isEqualTo(WorkerPoolReconciler.RETRY_PROGRESS);
        assertThat(WorkerPoolReconciler.requeueAfter(List.of(pull), false)).isNull();
        assertThat(WorkerPoolReconciler.requeueAfter(List.of(), false)).isNull();
    }
}
