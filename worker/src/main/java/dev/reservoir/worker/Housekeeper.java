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
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The worker's housekeeping room: one scheduled thread for the periodic work.
 * <ul>
 *   <li>renews this worker's claims every third of the visibility timeout, so that no other worker
 *       reclaims a task that is still running here;</li>
 *   <li>interrupts tasks past their timeout (every 100 ms), and hands a task whose handler ignored the
 *       interrupt for the grace period to the worker to abandon;</li>
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
    /** Shared with the other rooms: the heartbeat reports there. */
    private final RedisHealth health;
    /** The worker's fatal-error handler: a scheduled run's Throwable never reaches a thread's uncaught handler. */
    private final Thread.UncaughtExceptionHandler fatalErrors;
    /** The worker's answer to a handler that ignored its timeout's interrupt: abandon the job, recycle the worker. */
    private final Consumer<Job> abandonStuck;
    private final ScheduledExecutorService executor;

    Housekeeper(WorkerConfig config, PoolQueue queue, JedisPool redis, WorkerMetrics metrics, Map<String, Job> inFlight,
            Supplier<Heartbeat> heartbeat, RedisHealth health, Thread.UncaughtExceptionHandler fatalErrors, Consumer<Job> abandonStuck,
            ThreadFactory threads) {
        this.abandonStuck = abandonStuck;
        this.health = health;
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

    /**
     * Publishes the heartbeat. Also the worker's probe of Redis when nothing else calls it (every slot
     * taken, or claiming paused while Redis is full): its failure or success is reported to {@link RedisHealth}.
     */
    void publishHeartbeat() {
        try (Jedis jedis = redis.getResource()) {
            queue.heartbeat(jedis, heartbeat.get(), heartbeatTtl());
            health.ok(RedisHealth.Room.HEARTBEAT);
        } catch (JedisException e) {
            metrics.redisErrors.increment();
            health.failed(RedisHealth.Room.HEARTBEAT, explained(e), config.redis().toString());
        }
    }

    /**
     * The heartbeat is a MULTI, whose refusal reads EXECABORT whatever the cause: ask Redis what it is (a
     * replica, or at maxmemory) so that the worker's reason names it. Only on that failure path.
     */
    private JedisException explained(JedisException e) {
        if (e.getMessage() == null || !e.getMessage().startsWith("EXECABORT")) {
            return e;
        }
        try (Jedis jedis = redis.getResource()) {
            String replication = jedis.info("replication");
            if (replication.contains("role:slave")) {
                return new JedisDataException("READONLY You can't write against a read only replica (" + e.getMessage() + ")");
            }
            String memory = jedis.info("memory");
            long used = infoNumber(memory, "used_memory:");
            long max = infoNumber(memory, "maxmemory:");
            if (max > 0 && used >= max) {
                return new JedisDataException("OOM command not allowed when used memory > 'maxmemory' (" + e.getMessage() + ")");
            }
        } catch (RuntimeException ignored) {
            // the original error says what is known
        }
        return e;
    }

    private static long infoNumber(String info, String field) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(field)) {
                try {
                    return Long.parseLong(line.substring(field.length()).trim());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
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
            // A claim whose outcome the completer was writing meanwhile is gone because it was acknowledged, not
            // taken over: only jobs still running or waiting to run here count (a finished job that was really taken
            // over is reported by the completer, whose write finds it not ours).
            long takenOver = lost.stream().map(inFlight::get).filter(job -> job != null && isUnwritten(job)).count();
            if (takenOver > 0) {
                LOG.warning(takenOver + " claimed task(s) were taken over by other workers (this worker stalled longer than the visibility timeout"
                        + " of " + config.visibilityTimeout().toMillis() + "ms); their outcomes here will be dropped");
            }
        } catch (RuntimeException e) {
            metrics.redisErrors.increment();
            LOG.fine("could not renew claims: " + e.getMessage());
        }
    }

    /** Whether nothing has been queued to write for the job yet (its claim should still be ours). */
    private static boolean isUnwritten(Job job) {
        Job.State state = job.state.get();
        return state == Job.State.QUEUED || state == Job.State.RUNNING;
    }

    private void enforceTimeouts() {
        long now = System.nanoTime();
        for (Job job : inFlight.values()) {
            Thread runner = job.runner;
            if (runner == null || job.state.get() != Job.State.RUNNING) {
                continue;
            }
            if (!job.timedOut && now > job.deadlineNanos) {
                job.timedOut = true;
                runner.interrupt();
            } else if (job.timedOut && now > job.abandonAtNanos) {
                abandonStuck.accept(job);
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
