package dev.reservoir.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuMeterTest {
    @Test
    void readsAllAndStolenTicksFromProcStat() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        assertThat(CpuMeter.parseProcStatCpu("cpu  2083721 0 249339 1375066 1732 0 32466 14084 0 0"))
                .containsExactly(2083721L + 249339 + 1375066 + 1732 + 32466 + 14084, 14084L);
        assertThat(CpuMeter.parseProcStatCpu("cpu0 1 2 3 4 5 6 7 8")).containsExactly(-1L, -1L);
        assertThat(CpuMeter.parseProcStatCpu("cpu 1 2 3")).containsExactly(-1L, -1L);
    }

    @Test
    void stolenPercentIsTheStolenShareOfTheMachineTimeBetweenSamples() {
        CpuMeter.Sample before = new CpuMeter.Sample(0, 0, 0, 1_000, 10);
        CpuMeter.Sample after = new CpuMeter.Sample(0, 0, 0, 1_600, 46);
        assertThat(CpuMeter.stolenPercent(before, after)).isEqualTo(6.0);
        assertThat(CpuMeter.stolenPercent(new CpuMeter.Sample(0, 0, 0, -1, -1), after)).isEqualTo(-1);
        assertThat(CpuMeter.stolenPercent(after, after)).isEqualTo(-1);
    }

    @Test
    void thisMachineReportsItsTicks() {
        CpuMeter.Sample s = new CpuMeter(null, null).sample();
        if (java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/stat"))) {
            assertThat(s.machineTicks()).isPositive();
            assertThat(s.stolenTicks()).isBetween(0L, s.machineTicks());
        }
    }
}
