package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.operator.reconciler.ScaleDownStabilizer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The HPA-like scale-down window, on a simulated clock (seconds since the first observation). */
class ScaleDownStabilizerTest {
    static final Duration WINDOW = Duration.ofSeconds(300);
    final ScaleDownStabilizer stabilizer = new ScaleDownStabilizer();

    int at(long second, int current, int recommendation) {
        return stabilizer.stabilize("uid", current, recommendation, WINDOW, 1, 20, second * 1000);
    }

    @Test
    void scalesUpAtOnceAndDownOnlyToTheHighestRecommendationOfTheWindow() {
        // A full window observed at 4 workers.
        assertThat(at(0, 4, 4)).isEqualTo(4);
        assertThat(at(300, 4, 4)).isEqualTo(4);
        // Burst: up at once.
        assertThat(at(310, 4, 9)).isEqualTo(9);
        // The queue is empty for a moment: the pool stays at 9 while 9 was recommended within the window.
        assertThat(at(320, 9, 1)).isEqualTo(9);
        assertThat(at(330, 9, 6)).isEqualTo(9);
        assertThat(at(600, 9, 1)).isEqualTo(9);
        // 9 (at 310 s) left the window at 610 s: down to the highest left, 6 (at 330 s).
        assertThat(at(611, 9, 1)).isEqualTo(6);
        // 6 (at 330 s) is the highest until it leaves the window at 630 s.
        assertThat(at(629, 6, 2)).isEqualTo(6);
        assertThat(at(631, 6, 2)).isEqualTo(2);
    }

    @Test
    void afterARestartNothingScalesDownUntilAWholeWindowWasObserved() {
        // A fresh stabilizer is an operator that just started: the pool runs 8 workers, the queue is empty now.
        assertThat(at(1000, 8, 1)).as("no history yet").isEqualTo(8);
        assertThat(at(1299, 8, 1)).isEqualTo(8);
        // Scaling up is never held back.
        assertThat(at(1299, 8, 12)).isEqualTo(12);
        assertThat(at(1300, 12, 2)).as("the 12 of 1299 s is in the window").isEqualTo(12);
        assertThat(at(1600, 12, 2)).as("a whole window observed; only 2 was recommended since 1300 s").isEqualTo(2);
    }

    @Test
    void zeroWindowScalesDownAtOnceAndKeepsNoHistory() {
        assertThat(stabilizer.stabilize("uid", 8, 2, Duration.ZERO, 1, 20, 0)).isEqualTo(2);
        assertThat(stabilizer.tracked()).isZero();
    }

    @Test
    void aLongerWindowIsCoveredOnlyOnceObservedThatLong() {
        assertThat(at(0, 3, 3)).isEqualTo(3);
        assertThat(at(400, 3, 1)).as("window of 300 s covered").isEqualTo(1);
        // The window grows to 600 s at 500 s: what came before 100 s was dropped (the old window), so the new
        // window is covered only from 700 s on.
        assertThat(stabilizer.stabilize("uid", 5, 1, Duration.ofSeconds(600), 1, 20, 500_000)).isEqualTo(5);
        assertThat(stabilizer.stabilize("uid", 5, 1, Duration.ofSeconds(600), 1, 20, 699_000)).isEqualTo(5);
        assertThat(stabilizer.stabilize("uid", 5, 1, Duration.ofSeconds(600), 1, 20, 700_000)).isEqualTo(1);
    }

    @Test
    void boundsApplyAtOnceAndPoolsAreKeptApart() {
        assertThat(at(0, 4, 4)).isEqualTo(4);
        // maxReplicas lowered to 3 while the window still holds 4 (and before it is covered): 3 at once.
        assertThat(stabilizer.stabilize("uid", 4, 3, WINDOW, 1, 3, 10_000)).isEqualTo(3);
        assertThat(stabilizer.stabilize("other", 10, 1, WINDOW, 1, 20, 10_000)).as("a pool of its own").isEqualTo(10);
        assertThat(stabilizer.tracked()).isEqualTo(2);
        stabilizer.forget("other");
        stabilizer.forget("uid");
        assertThat(stabilizer.tracked()).isZero();
        // Forgotten = never seen: conservative again.
        assertThat(at(20_000, 4, 1)).isEqualTo(4);
    }
}
