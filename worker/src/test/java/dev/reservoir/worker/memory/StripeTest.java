package dev.reservoir.worker.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stripe's "is my home shared?" signal, driven with explicit thread ids. */
class StripeTest {
    private final Thread platform = Thread.currentThread();

    @Test
    void threadsTakingTurnsInPairsAreToldToMove() {
        Stripe stripe = new Stripe(new Block[0]);
        List<Boolean> answers = new ArrayList<>();
        for (int round = 0; round < 4; round++) { // A leases+releases, then B does: A A B B A A B B
            long id = round % 2 == 0 ? 1 : 2;
            answers.add(stripe.sharedWith(platform, id));
            answers.add(stripe.sharedWith(platform, id));
        }
        assertThat(answers).containsOnlyOnce(true);
        assertThat(answers.getLast()).isFalse();
        assertThat(answers.get(6)).isTrue(); // the 4th change of holder
    }

    @Test
    void anOccasionalVisitorDoesNotMoveTheOwner() {
        Stripe stripe = new Stripe(new Block[0]);
        for (int i = 0; i < 1_000; i++) {
            long id = i % 20 == 19 ? 2 : 1; // another thread steals from this stripe once every 20 takes
            assertThat(stripe.sharedWith(platform, id)).as("take %s", i).isFalse();
        }
    }

    @Test
    void virtualThreadsNeverMoveAnyone() throws Exception {
        Stripe stripe = new Stripe(new Block[0]);
        List<Boolean> answers = new ArrayList<>();
        Thread t = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 100; i++) {
                answers.add(stripe.sharedWith(Thread.currentThread(), 1000 + i));
            }
        });
        t.join();
        assertThat(answers).hasSize(100).containsOnly(false);
    }
}
