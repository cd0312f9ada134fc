package dev.reservoir.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InformerLivenessWindowTest {
    @Test
    void countsFromTheFirstBadObservationAndResetsWhenGood() {
        AtomicLong now = new AtomicLong(0);
        InformerLiveness.Window w = new InformerLiveness.Window(Duration.ofMinutes(2), now::get);
        assertThat(w.observe(true)).isZero();
        now.set(Duration.ofSeconds(10).toNanos());
        assertThat(w.observe(false)).isZero();
        now.set(Duration.ofSeconds(130).toNanos());
        assertThat(w.observe(false)).isEqualTo(Duration.ofSeconds(120));
        now.set(Duration.ofSeconds(131).toNanos());
        assertThat(w.observe(false)).isGreaterThan(w.limit());
        assertThat(w.observe(true)).isZero();
        now.set(Duration.ofSeconds(200).toNanos());
        assertThat(w.observe(false)).isZero();
    }
}
