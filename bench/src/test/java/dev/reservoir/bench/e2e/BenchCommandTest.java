package dev.reservoir.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.WorkerState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    static Heartbeat fromRedis(String worker, String jitMs) {
        Map<String, String> fields = new java.util.HashMap<>(Map.of(Heartbeat.ID, worker, Heartbeat.STATE, WorkerState.RUNNING.name()));
        if (jitMs != null) {
            fields.put(Heartbeat.JIT_MS, jitMs);
        }
        return Heartbeat.fromFields(fields);
    }

    @Test
    void workersThatOmitTheOptionalJitFieldAddNothing() {
        List<Heartbeat> workers = List.of(fromRedis("w1", "1200"), fromRedis("w2", null), fromRedis("w3", "0"));
        assertThat(workers.get(1).reportsJit()).isFalse();
        assertThat(BenchCommand.workersJitMillis(workers)).isEqualTo(1200);
        assertThat(BenchCommand.workersJitMillis(List.of(fromRedis("w2", null)))).isZero();
    }
}
