package dev.reservoir.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.client.MapOptions;
import dev.reservoir.client.Reservoir;
import dev.reservoir.client.Result;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** maxTasksPerWorker: a worker recycles itself (drains, exits 0) and local mode starts a fresh one. */
class RecyclingTest {

    @Test
    void workersRecycleAfterMaxTasksAndTheBatchStillCompletes() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        PoolSpec spec = PoolSpec.defaults("recycle", 1, 2).withMaxTasksPerWorker(40).withDrainTimeout(Duration.ofSeconds(10));
        Map<String, Long> pids;
        try (LocalPool local = LocalPool.start(spec, LocalPool.Options.defaults().withEvents(e -> events.add(java.time.LocalTime.now() + " " + e)))) {
            local.awaitReady(Duration.ofSeconds(120));
            try (Reservoir reservoir = Reservoir.connect(local.redisUrl())) {
                List<byte[]> input = IntStream.range(0, 200).mapToObj(i -> ("r" + i).getBytes(StandardCharsets.UTF_8)).toList();
                List<Result> results = reservoir.pool("recycle").map("echo", input, new MapOptions(8, 2));
                for (int i = 0; i < 200; i++) {
                    assertThat(results.get(i).valueAsString()).isEqualTo("r" + i);
                }
                long workersUsed = results.stream().map(Result::worker).distinct().count();
                assertThat(workersUsed).as("200 tasks at 40 per worker; pool events: %s", events).isGreaterThanOrEqualTo(5);
            }
            // A recycled worker's replacement may start before it exits; replaced() counts the exit, seen on a later supervisor pass.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(
                    () -> assertThat(local.replaced()).as("pool events: %s", events).isGreaterThanOrEqualTo(4));
            assertThat(events).anyMatch(e -> e.contains("recycled after maxTasksPerWorker=40"));
            pids = local.workerPids();
        }
        pids.values().forEach(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse());
    }
}
