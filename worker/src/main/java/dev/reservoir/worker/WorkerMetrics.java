package dev.reservoir.worker;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The worker's Prometheus metrics (names documented in docs/operations.md).
 *
 * <p>The registry runs on a {@link CoarseClock}: Micrometer's timers read the clock on every record
 * (to rotate their max and histogram windows, which last minutes), twice per timer, i.e. four clock
 * reads per task, and a clock read is far from free on some virtual machines. The measured values
 * themselves come from the caller's own clock reads.
 */
final class WorkerMetrics {
    final CoarseClock clock = new CoarseClock();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock);
    final Counter ok = outcome("ok");
    final Counter failed = outcome("failed");
    final Counter retried = outcome("retried");
    final Counter handedBack = outcome("handed_back");
    /** Outcomes dropped because another worker had reclaimed the task (at-least-once at work). */
    final Counter stale = outcome("stale");
    final Counter reclaimed = Counter.builder("reservoir_reclaimed_tasks_total")
            .description("Tasks this worker took over from workers that stopped renewing them").register(registry);
    final Counter redisErrors = Counter.builder("reservoir_redis_errors_total")
            .description("Redis calls that failed (the worker retries them)").register(registry);
    final Timer duration = Timer.builder("reservoir_task_duration_seconds").description("Handler run time")
            .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry);
    final Timer queueWait = Timer.builder("reservoir_task_queue_wait_seconds")
            .description("From submission (the submitted field, else the time Redis added the entry) to the start of the run").publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10)).register(registry);

    private Counter outcome(String outcome) {
        return Counter.builder("reservoir_tasks_total").description("Task outcomes by kind").tag("outcome", outcome).register(registry);
    }

    void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    String scrape() {
        return registry.scrape();
    }

    /**
     * A clock that reads the system clocks only when {@link #tick} is called (the housekeeper does,
     * every {@link #TICK_MILLIS} ms), so metric windows rotate up to that much late.
     */
    static final class CoarseClock implements Clock {
        static final long TICK_MILLIS = 50;
        /** Written by tick() only (one thread at a time: the housekeeper, or the constructor). */
        private volatile long wall = System.currentTimeMillis();
        private volatile long monotonic = System.nanoTime();

        void tick() {
            wall = System.currentTimeMillis();
            monotonic = System.nanoTime();
        }

        @Override
        public long wallTime() {
            return wall;
        }

        @Override
        public long monotonicTime() {
            return monotonic;
        }
    }
}
