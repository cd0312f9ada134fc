package dev.reservoir.worker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrefetchBoundTest {

    @Test
    void tinyTasksMayUseTheWholePrefetch() {
        PrefetchBound bound = new PrefetchBound(8, 128);
        for (int i = 0; i < 200; i++) {
            bound.observe(5_000); // 5 us
        }
        assertThat(bound.current()).isEqualTo(128);
    }

    @Test
    void longTasksHoldOnlyWhatTheThreadsStartWithinTheWindow() {
        PrefetchBound bound = new PrefetchBound(8, 128);
        for (int i = 0; i < 200; i++) {
            bound.observe(10_000_000); // 10 ms: 8 threads start 1.6 tasks in 2 ms
        }
        assertThat(bound.current()).isEqualTo(2);
        for (int i = 0; i < 200; i++) {
            bound.observe(5_000_000_000L); // 5 s
        }
        assertThat(bound.current()).as("at least one: a claim per thread is never refused").isEqualTo(1);
    }

    @Test
    void startsConservativeAndFollowsAChangeOfWorkload() {
        PrefetchBound bound = new PrefetchBound(4, 64);
        assertThat(bound.current()).as("before any run: 1 ms assumed, 4 threads x 2 ms").isEqualTo(8);
        for (int i = 0; i < 200; i++) {
            bound.observe(1_000);
        }
        assertThat(bound.current()).isEqualTo(64);
        for (int i = 0; i < 200; i++) {
            bound.observe(20_000_000);
        }
        assertThat(bound.current()).isEqualTo(1);
    }

    @Test
    void aPrefetchOfZeroStaysZero() {
        PrefetchBound bound = new PrefetchBound(4, 0);
        bound.observe(1_000);
        assertThat(bound.current()).isZero();
    }
}
