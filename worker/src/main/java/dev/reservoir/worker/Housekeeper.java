package dev.reservoir.worker;

import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.redis.PoolQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

/**
 * The worker's housekeeping room: one scheduled thread for the periodic work.
 * <ul>
 *   <li>renews this worker's claims every third of the visibility timeout, so that no other worker
 *       reclaims a task that is still running here;</li>
 *   <li>interrupts tasks past their timeout (every 100 ms);</li>
 *   <li>publishes the heartbeat every heartbeatInterval;</li>
 *   <li>trims acknowledged entries off the stream in bulk, and applies the pool's retention to results and dead
 *       letters, every second (complete.lua leaves them);</li>
 *   <li>ticks the metrics' coarse clock.</li>
 * </ul>
 *
 * <p>Failures: a Redis error is counted and the task runs again at its next period. Every run is
 * guarded, because a scheduled task that throws is cancelled without a word: a RuntimeException is
 * logged and the task stays scheduled; any other Throwable goes to the worker's fatal-error policy.
 */
final class Housekeeper {
    private static final Logger LOG = Logger.getLogger(Housekeeper.class.getName());

    private final WorkerConfig config;
    private final PoolQueue queue;
    private final JedisPool redis;
    private final WorkerMetrics metrics;
    /** Shared with the fetcher and the completer; read here (renewal, timeouts). */
    private final Map<String, Job> inFlight;
    private final Supplier<Heartbeat> heartbeat;
    /** The worker's fatal-error handler: a scheduled run's Throwable never reaches a thread's uncaught handler. */
    private final Thread.UncaughtExceptionHandler fatalErrors;
    private final ScheduledExecutorService executor;

    Housekeeper(WorkerConfig config, PoolQueue queue, JedisPool redis, WorkerMetrics metrics, Map<String, Job> inFlight,
            Supplier<Heartbeat> heartbeat, Thread.UncaughtExceptionHandler fatalErrors, ThreadFactory threads) {
        this.config = config;
        this.queue = queue;
        this.redis = redis;
        this.metrics = metrics;
        this.inFlight = inFlight;
        this.heartbeat = heartbeat;
        this.fatalErrors = fatalErrors;
        this.executor = Executors.newSingleThreadScheduledExecutor(threads);
    }

    void start() {
        long renewMillis = Math.max(100, config.visibilityTimeout().toMillis() / 3);
        every("claim renewal", renewMillis, renewMillis, this::renewClaims);
        every("timeouts", 100, 100, this::enforceTimeouts);
        every("heartbeat", 0, config.heartbeatInterval().toMillis(), this::publishHeartbeat);
        every("stream trim", 1000, 1000, this::trimStream);
        // at a fixed rate: the clock's lag is bounded by the period
        executor.scheduleAtFixedRate(guarded("metrics clock", metrics.clock::tick), WorkerMetrics.CoarseClock.TICK_MILLIS,
                WorkerMetrics.CoarseClock.TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Stops the housekeeping, waiting (bounded) for a run already under way: a heartbeat being published
     * now would land after the drain removed it, and show this stopped worker until it expires. Bounded:
     * a call stuck on an unresponsive Redis must not hold up the stop for its whole socket timeout.
     */
    void stop(Duration wait) {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.fine("housekeeping still running after " + wait.toMillis() + "ms (Redis slow to answer?); stopping without waiting for it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void publishHeartbeat() {
        try (Jedis jedis = redis.getResource()) {
            queue.heartbeat(jedis, heartbeat.get(), heartbeatTtl());
        } catch (RuntimeException e) {
            metrics.redisErrors.increment();
            LOG.fine("could not publish heartbeat: " + e.getMessage());
        }
    }

    private void every(String name, long initialDelayMillis, long delayMillis, Runnable task) {
        executor.scheduleWithFixedDelay(guarded(name, task), initialDelayMillis, delayMillis, TimeUnit.MILLISECONDS);
    }

    private Runnable guarded(String name, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "housekeeping (" + name + ") failed; it runs again at its next period", e);
            } catch (Throwable t) {
                fatalErrors.uncaughtException(Thread.currentThread(), t);
            }
        };
    }

    private void renewClaims() {
        List<String> ids = new ArrayList<>(inFlight.keySet());
        if (ids.isEmpty()) {
            return;
        }
        try (Jedis jedis = redis.getResource()) {
            List<String> lost = queue.renew(jedis, config.workerId(), ids);
            if (!lost.isEmpty()) {
                LOG.warning(lost.size() + " claimed task(s) were taken over by other workers (this worker stalled longer than the visibility timeout"
                        + " of " + config.visibilityTimeout().toMillis() + "ms); their outcomes here will be dropped");
            }
        } catch (RuntimeException e) {
            metrics.redisErrors.increment();
            LOG.fine("could not renew claims: " + e.getMessage());
        }
    }

    private void enforceTimeouts() {
        long now = System.nanoTime();
        for (Job job : inFlight.values()) {
            Thread runner = job.runner;
            if (runner != null && !job.timedOut && now > job.deadlineNanos && job.state.get() == Job.State.RUNNING) {
                job.timedOut = true;
                runner.interrupt();
            }
        }
    }

    private void trimStream() {
        try (Jedis jedis = redis.getResource()) {
            queue.trim(jedis, config.retention());
        } catch (RuntimeException e) {
            metrics.redisErrors.increment();
            LOG.fine("could not trim the stream: " + e.getMessage());
        }
    }

    private Duration heartbeatTtl() {
        return Duration.ofMillis(Math.max(5000, config.heartbeatInterval().toMillis() * 5));
    }
}
