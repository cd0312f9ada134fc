package dev.reservoir.worker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MemoryPoolConfigTest {

    @Test
    void rejectsBadValuesNamingTheField() {
        assertThatThrownBy(() -> new MemoryPoolConfig(0, 1, 1, LeakDetection.OFF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("memoryPool.blockSize").hasMessageContaining("got 0");
        assertThatThrownBy(() -> new MemoryPoolConfig(100, 1, 1, LeakDetection.OFF))
                .hasMessageStartingWith("memoryPool.blockSize must be a positive multiple of 8").hasMessageContaining("got 100");
        assertThatThrownBy(() -> new MemoryPoolConfig(64, 0, 1, LeakDetection.OFF))
                .hasMessageStartingWith("memoryPool.blocks").hasMessageContaining("got 0");
        assertThatThrownBy(() -> new MemoryPoolConfig(64, 8, 4, LeakDetection.OFF))
                .hasMessageStartingWith("memoryPool.maxBlocks must be at least memoryPool.blocks (8), got 4");
        assertThatThrownBy(() -> new MemoryPoolConfig(64, 8, MemoryPoolConfig.MAX_BLOCKS_LIMIT + 1, LeakDetection.OFF))
                .hasMessageStartingWith("memoryPool.maxBlocks must be at most");
        assertThatThrownBy(() -> new MemoryPoolConfig(64, 8, 8, null))
                .hasMessageStartingWith("memoryPool.leakDetection");
        assertThatThrownBy(() -> new MemoryPoolConfig(64, 8, 8, LeakDetection.OFF, Duration.ofSeconds(-1)))
                .hasMessageStartingWith("memoryPool.leaseTimeout");
    }

    @Test
    void defaultsMatchTheArchitectureBrief() {
        MemoryPoolConfig config = MemoryPoolConfig.defaults();
        assertThat(config.blockSize()).isEqualTo(65536);
        assertThat(config.initialBlocks()).isEqualTo(256);
        assertThat(config.maxBlocks()).isEqualTo(1024);
        assertThat(config.leaseTimeout()).isEqualTo(MemoryPoolConfig.DEFAULT_LEASE_TIMEOUT);
        assertThat(config.maxBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(config.withLeakDetection(LeakDetection.PARANOID).leakDetection()).isEqualTo(LeakDetection.PARANOID);
    }
}
