package dev.reservoir.local;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.Quantities;
import dev.reservoir.protocol.WorkerEnv;
import dev.reservoir.redis.PoolQueue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import redis.clients.jedis.Jedis;

/**
 * Local mode: a pool of N worker JVMs on this machine, kept at N by the same planner the operator
 * uses, against an embedded Redis unless the spec names one. Its parts: {@link LocalRedis} (the
 * Redis), {@link WorkerLauncher} (starts worker JVMs), {@link Supervisor} (the thread that keeps the
 * pool: a worker that dies is replaced and its tasks re-run; one that recycles after
 * {@code maxTasksPerWorker} exits 0 and is replaced the same way) and {@link PoolLifecycle}.
 *
 * <p>Lifecycle ({@link #state()}), forward only:
 * <ol>
 *   <li>STARTING: {@link #start} has started Redis (unless the spec names one) and the supervisor,
 *       which starts the workers.
 *   <li>RUNNING: {@code spec.replicas} workers have published a RUNNING heartbeat ({@link #awaitReady}
 *       returns). The supervisor keeps replacing workers that exit.
 *   <li>STOPPING: {@link #close()}, or the pool stopping on its own ({@link #failure()}: its embedded
 *       Redis died, or its supervisor failed). The supervisor stops planning, every worker gets SIGTERM
 *       and drains within drainTimeout, stragglers are killed and their claims handed back, the
 *       embedded Redis is stopped.
 *   <li>STOPPED: nothing of the pool runs any more.
 * </ol>
 * {@code close} is idempotent and safe from a shutdown hook.
 */
public final class LocalPool implements AutoCloseable {
    /** Forward only: a state is never entered twice. */
    public enum State { STARTING, RUNNING, STOPPING, STOPPED }

    /**
     * @param logDir       where worker logs go (null: a new temporary folder)
     * @param javaOptions  JVM options of worker processes
     * @param interval     how often the supervisor observes and plans
     * @param events       receives one line per notable event (worker started, exited, replaced)
     */
    public record Options(Path logDir, List<String> javaOptions, Duration interval, Consumer<String> events) {
        public static Options defaults() {
            String env = System.getenv("RESERVOIR_WORKER_JAVA_OPTS");
            List<String> java = env != null && !env.isBlank() ? List.of(env.trim().split("\\s+"))
                    : List.of("-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:+UseCompactObjectHeaders");
            return new Options(null, java, Duration.ofMillis(200), line -> { });
        }

        public Options withEvents(Consumer<String> e) {
            return new Options(logDir, javaOptions, interval, e);
        }

        public Options withLogDir(Path dir) {
            return new Options(dir, javaOptions, interval, events);
        }
    }

    private final PoolSpec spec;
    private final Options options;
    private final LocalRedis redis;
    private final PoolQueue queue;
    private final Path logDir;
    private final PoolLifecycle lifecycle = new PoolLifecycle();
    private final Supervisor supervisor;

    private LocalPool(PoolSpec spec, Options options) {
        this.spec = spec;
        this.options = options;
        WorkerLauncher.checkWorkerOnClasspath();
        try {
            this.logDir = options.logDir() != null ? Files.createDirectories(options.logDir())
                    : Files.createTempDirectory("reservoir-local-" + spec.name() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        redis = LocalRedis.open(spec);
        queue = new PoolQueue(spec.name());
        try (Jedis j = redis.endpoint().connect("reservoir-local", Duration.ofSeconds(5))) {
            queue.ensureGroup(j);
        } catch (RuntimeException e) {
            redis.stop();
            throw new LocalPoolException("cannot reach Redis at " + redis + ": " + e.getMessage()
                    + " (check --redis, or leave it out to use an embedded Redis)", e);
        }
        WorkerLauncher launcher = new WorkerLauncher(spec, redis.workerUrl(), redis.workerPassword(), !redis.embedded(), options.javaOptions(), logDir);
        supervisor = new Supervisor(spec, options, redis, queue, launcher, lifecycle, this::close);
    }

    /** Starts Redis (unless the spec names one) and the supervisor, which starts the workers: the pool is STARTING. */
    public static LocalPool start(PoolSpec spec, Options options) {
        LocalPool pool = new LocalPool(spec, options);
        pool.supervisor.start();
        return pool;
    }

    public State state() {
        return lifecycle.state();
    }

    public String redisUrl() {
        return redis.url();
    }

    public PoolSpec spec() {
        return spec;
    }

    public Path logDir() {
        return logDir;
    }

    /** The planner's phrase for the pool right now ("all 4 workers ready", "replacing 1 failed worker"). */
    public String reason() {
        return supervisor.reason();
    }

    /** Workers replaced after they exited (crash, kill, recycle) since start. */
    public int replaced() {
        return supervisor.replaced();
    }

    /** Pids of the live worker processes, by worker name. */
    public Map<String, Long> workerPids() {
        Map<String, Long> out = new TreeMap<>();
        supervisor.children().forEach((name, c) -> {
            if (c.alive()) {
                out.put(name, c.pid());
            }
        });
        return out;
    }

    /**
     * Waits until the pool is RUNNING: {@code spec.replicas} workers publish a RUNNING heartbeat.
     *
     * @throws LocalPoolException when workers keep failing at start (the last one's log tail is in the message),
     *                            the pool stopped first, or time runs out
     */
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            State now;
            try {
                now = lifecycle.awaitLeaving(State.STARTING, Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LocalPoolException("interrupted while waiting for the workers of " + this, e);
            }
            if (now == State.RUNNING) {
                return;
            }
            if (now != State.STARTING) {
                LocalPoolException failure = lifecycle.failure();
                throw failure != null ? failure : new LocalPoolException("the pool was stopped before its workers were ready; logs in " + logDir);
            }
            Supervisor.StartFailures failed = supervisor.startFailures();
            if (failed.atStart() >= Math.max(3, spec.replicas())) {
                throw new LocalPoolException("workers keep exiting at start (" + failed.atStart() + " so far); last log of "
                        + failed.lastName() + " (" + failed.lastLog() + "):\n" + failed.lastLogTail());
            }
        }
        throw new LocalPoolException("workers not ready within " + timeout.toSeconds() + " s (" + reason() + "); logs in " + logDir);
    }

    /**
     * Waits until the pool has stopped, by {@link #close()} or on its own.
     *
     * @return why it stopped on its own, or null when it was closed
     */
    public LocalPoolException awaitStopped() throws InterruptedException {
        lifecycle.awaitStopped();
        return lifecycle.failure();
    }

    /** Why the pool stopped on its own (its embedded Redis died, its supervisor failed), or null (still running, or closed). */
    public LocalPoolException failure() {
        return lifecycle.failure();
    }

    /** The worker's configuration, as the operator would set it on a pod (names from WorkerEnv). */
    static Map<String, String> workerEnv(PoolSpec spec, String redisUrl, String workerId) {
        return spec.workerEnv(redisUrl, workerId);
    }

    /**
     * Stops the pool: no more replacements, SIGTERM to every worker, wait for them to drain (up to
     * drainTimeout plus a grace), SIGKILL stragglers and hand back their claims, stop the embedded Redis.
     * A second call waits until the first has finished.
     */
    @Override
    public void close() {
        if (!lifecycle.beginStopping()) {
            try {
                lifecycle.awaitStopped();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            try {
                supervisor.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stopWorkers();
            redis.stop();
            options.events().accept("stopped: every worker exited" + (redis.embedded() ? ", embedded Redis stopped" : ""));
        } finally {
            lifecycle.stopped();
        }
    }

    /** SIGTERM to every worker, then waits for them; kills stragglers and, on a shared Redis, hands back their claims. */
    private void stopWorkers() {
        Map<String, ChildWorker> children = supervisor.children();
        long alive = children.values().stream().filter(ChildWorker::alive).count();
        options.events().accept("stopping: draining " + alive + " worker(s) (up to " + Quantities.formatDuration(spec.drainTimeout()) + ")");
        for (ChildWorker c : children.values()) {
            if (c.alive()) {
                c.drain();
            }
        }
        long deadline = System.nanoTime() + spec.drainTimeout().plusSeconds(10).toNanos();
        List<String> killed = new ArrayList<>();
        for (ChildWorker c : children.values()) {
            long left = deadline - System.nanoTime();
            try {
                if (!c.process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    c.kill();
                    c.process.waitFor(10, TimeUnit.SECONDS);
                    killed.add(c.name);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                c.kill();
            }
        }
        if (!redis.embedded()) {
            // A shared Redis outlives us: leave nothing claimed by workers that are gone.
            try (Jedis j = redis.endpoint().connect("reservoir-local-stop", Duration.ofSeconds(5))) {
                for (ChildWorker c : children.values()) {
                    queue.handBackAll(j, c.name, "WorkerLost: local pool stopped before worker " + c.name + " finished draining",
                            spec.maxAttempts());
                    queue.removeHeartbeat(j, c.name);
                }
            } catch (RuntimeException e) {
                options.events().accept("could not hand back claims at stop: " + e.getMessage());
            }
        }
        if (!killed.isEmpty()) {
            options.events().accept("killed workers that did not drain within " + Quantities.formatDuration(spec.drainTimeout()) + ": " + killed);
        }
        children.clear();
    }

    /** For messages. */
    @Override
    public String toString() {
        return "local pool " + spec.name() + " (" + spec.replicas() + " × " + spec.threads() + " threads) at " + new PoolKeys(spec.name()).prefix()
                + " on " + redis;
    }
}
