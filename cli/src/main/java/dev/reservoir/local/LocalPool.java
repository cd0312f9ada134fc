package dev.reservoir.local;

import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.Quantities;
import dev.reservoir.protocol.WorkerEnv;
import dev.reservoir.protocol.WorkerState;
import dev.reservoir.pool.DesiredPool;
import dev.reservoir.pool.Expectations;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Phase;
import dev.reservoir.pool.Plan;
import dev.reservoir.pool.PoolPlanner;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.spec.Revision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * Local mode: a pool of N worker JVMs on this machine, kept at N by the same planner the operator
 * uses ({@link PoolPlanner}), against an embedded Redis unless the spec names one.
 *
 * <p>Every {@code interval} the supervisor thread observes its children (alive? exit code? heartbeat
 * state and in-flight from Redis), asks the planner, and carries out the plan: create = start a child
 * JVM; drain = SIGTERM; reclaim = hand an exited worker's claimed tasks back to the shared stream at
 * once ({@link PoolQueue#handBackAll}); delete = forget the exited child. A worker that dies is
 * therefore replaced and its tasks re-run; one that recycles after {@code maxTasksPerWorker} exits 0
 * and is replaced the same way.
 *
 * <p>Lifecycle: STARTING ({@link #start}) → RUNNING → STOPPING ({@link #close()}, or the supervisor
 * finding the embedded Redis dead ({@link #failure()}): the supervisor
 * stops planning, every worker gets SIGTERM and drains within drainTimeout, stragglers are killed and
 * their claims handed back, the embedded Redis is stopped) → STOPPED. {@code close} is idempotent and
 * safe from a shutdown hook.
 */
public final class LocalPool implements AutoCloseable {
    private static final String WORKER_MAIN = "dev.reservoir.worker.WorkerMain";
    /** How long the supervisor waits, while Redis is unreachable, for a dying embedded Redis's exit to show. */
    private static final Duration REDIS_EXIT_WAIT = Duration.ofSeconds(10);

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

    private enum State { RUNNING, STOPPING, STOPPED }

    private final PoolSpec spec;
    private final Options options;
    private final RedisServerProcess embeddedRedis;
    private final String redisUrl;
    private final RedisEndpoint endpoint;
    private final PoolQueue queue;
    private final String revision;
    private final String workerPrefix;
    private final Path logDir;
    private final Expectations expectations = new Expectations();
    /** Children by name. Written by the supervisor thread, and by close() after the supervisor stopped. */
    private final Map<String, ChildWorker> children = new ConcurrentHashMap<>();
    /** Guarded by {@code this}. */
    private State state = State.RUNNING;
    private final Thread supervisor;
    /** Confined to the supervisor thread. */
    private Jedis jedis;
    private int sequence;
    /** Confined to the supervisor thread: crash-loop back-off of creates. */
    private long crashBackoffMillis;
    private long createNotBefore;
    /** Written by the supervisor thread; read by anyone. */
    private volatile String lastReason = "starting";
    private volatile int replaced;
    /** Written by the supervisor thread; read by awaitReady for its verdict and message. */
    private volatile int failedAtStart;
    private volatile String lastFailedName;
    private volatile String lastFailedTail;
    private volatile Path lastFailedLog;
    /** Why the pool stopped on its own (its embedded Redis died), or null. Written once by the supervisor thread. */
    private volatile LocalPoolException failure;

    private LocalPool(PoolSpec spec, Options options) {
        this.spec = spec;
        this.options = options;
        try {
            Class.forName(WORKER_MAIN);
        } catch (ClassNotFoundException e) {
            throw new LocalPoolException("the worker is not on the classpath (" + WORKER_MAIN + "): build it with"
                    + " './mvnw -q -DskipTests install' (bin/reservoir does this on first use)");
        }
        try {
            this.logDir = options.logDir() != null ? Files.createDirectories(options.logDir())
                    : Files.createTempDirectory("reservoir-local-" + spec.name() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (spec.redisUrl() == null) {
            try {
                embeddedRedis = RedisServerProcess.onFreePort(false).start();
            } catch (RuntimeException e) {
                throw new LocalPoolException("could not start the embedded Redis: " + e.getMessage()
                        + " (install redis-server, or pass --redis URL of a running one)", e);
            }
            redisUrl = embeddedRedis.url();
        } else {
            embeddedRedis = null;
            redisUrl = spec.redisUrl();
        }
        endpoint = RedisEndpoint.parse(redisUrl, System.getenv(WorkerEnv.REDIS_PASSWORD));
        queue = new PoolQueue(spec.name());
        try (Jedis j = endpoint.connect("reservoir-local", Duration.ofSeconds(5))) {
            queue.ensureGroup(j);
        } catch (RuntimeException e) {
            stopRedis();
            throw new LocalPoolException("cannot reach Redis at " + endpoint + ": " + e.getMessage()
                    + " (check --redis, or leave it out to use an embedded Redis)", e);
        }
        revision = revisionOf(workerEnv("x"));
        // On a shared Redis a previous run's consumers may still own entries: never reuse their names.
        workerPrefix = embeddedRedis != null ? spec.name()
                : spec.name() + "-" + Long.toHexString(System.currentTimeMillis() & 0xffff);
        supervisor = Thread.ofPlatform().name("reservoir-local-supervisor").unstarted(this::superviseLoop);
    }

    /** Starts Redis (unless the spec names one) and the supervisor, which starts the workers. */
    public static LocalPool start(PoolSpec spec, Options options) {
        LocalPool pool = new LocalPool(spec, options);
        pool.supervisor.start();
        return pool;
    }

    public String redisUrl() {
        return redisUrl;
    }

    public PoolSpec spec() {
        return spec;
    }

    public Path logDir() {
        return logDir;
    }

    /** The planner's phrase for the pool right now ("all 4 workers ready", "replacing 1 failed worker"). */
    public String reason() {
        return lastReason;
    }

    /** Workers replaced after they exited (crash, kill, recycle) since start. */
    public int replaced() {
        return replaced;
    }

    /** Pids of the live worker processes, by worker name. */
    public Map<String, Long> workerPids() {
        Map<String, Long> out = new TreeMap<>();
        children.forEach((name, c) -> {
            if (c.alive()) {
                out.put(name, c.pid());
            }
        });
        return out;
    }

    /**
     * Waits until {@code spec.replicas} workers publish a RUNNING heartbeat.
     *
     * @throws LocalPoolException when a worker keeps failing at start (its log tail is in the message) or time runs out
     */
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Jedis j = endpoint.connect("reservoir-local-wait", Duration.ofSeconds(5))) {
            while (System.nanoTime() < deadline) {
                long running = queue.heartbeats(j).stream()
                        .filter(h -> h.state() == WorkerState.RUNNING && children.containsKey(h.workerId())).count();
                if (running >= spec.replicas()) {
                    return;
                }
                if (failedAtStart >= Math.max(3, spec.replicas())) {
                    throw new LocalPoolException("workers keep exiting at start (" + failedAtStart + " so far); last log of "
                            + lastFailedName + " (" + lastFailedLog + "):\n" + lastFailedTail);
                }
                sleep(50);
            }
        }
        throw new LocalPoolException("workers not ready within " + timeout.toSeconds() + " s (" + lastReason + "); logs in " + logDir);
    }

    private void superviseLoop() {
        while (isRunning()) {
            try {
                if (embeddedRedisDied()) {
                    return;
                }
                if (jedis == null) {
                    jedis = endpoint.connect("reservoir-local-supervisor", Duration.ofSeconds(5));
                }
                pass();
            } catch (RuntimeException e) {
                closeJedis();
                if (embeddedRedis != null && e instanceof JedisConnectionException) {
                    awaitEmbeddedRedisExitWhileUnreachable();
                }
                if (embeddedRedisDied()) {
                    return;
                }
                if (!isRunning()) {
                    break; // closed while we waited: nothing to retry
                }
                // A Redis named by the spec is not ours to restart: wait for it to come back.
                options.events().accept("supervisor: " + e.getMessage() + " (retrying)");
            }
            sleep(options.interval().toMillis());
        }
        closeJedis();
    }

    /**
     * A dropped connection or refused connect usually means our embedded Redis is dying, and on a
     * loaded machine its exit can take seconds to become visible; deciding too early would report a
     * retry loop instead of its death. So wait for the exit (up to {@link #REDIS_EXIT_WAIT}, returning
     * as soon as it exits) while Redis stays unreachable: nothing can be supervised without it anyway.
     * Supervision stays responsive: a Redis that answers a PING again was only briefly unreachable
     * (the caller then retries at once), other errors (Redis answered) never wait, and close() ends the wait.
     */
    private void awaitEmbeddedRedisExitWhileUnreachable() {
        long deadline = System.nanoTime() + REDIS_EXIT_WAIT.toNanos();
        while (isRunning() && System.nanoTime() < deadline) {
            if (embeddedRedis.awaitExit(Duration.ofMillis(250)) || answersPing()) {
                return;
            }
        }
    }

    private boolean answersPing() {
        try (Jedis probe = endpoint.connect("reservoir-local-probe", Duration.ofSeconds(1))) {
            probe.ping();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The embedded Redis is gone (crashed, killed, shut down): the queue and everything in it went with
     * it, so keeping the workers would only have them retry for ever. Records why and stops the pool
     * (on another thread: close() waits for this one).
     */
    private boolean embeddedRedisDied() {
        if (embeddedRedis == null || embeddedRedis.isRunning()) {
            return false;
        }
        closeJedis();
        failure = new LocalPoolException("the embedded Redis at " + redisUrl + " exited unexpectedly, taking the queue with it:"
                + " the workers were stopped; start the pool again (worker logs in " + logDir + ")");
        options.events().accept("embedded Redis at " + redisUrl + " exited unexpectedly: stopping the workers");
        Thread.ofPlatform().name("reservoir-local-stop").start(this::close);
        return true;
    }

    /**
     * Waits until the pool has stopped, by {@link #close()} or on its own.
     *
     * @return why it stopped on its own (its embedded Redis died), or null when it was closed
     */
    public LocalPoolException awaitStopped() throws InterruptedException {
        synchronized (this) {
            while (state != State.STOPPED) {
                wait();
            }
        }
        return failure;
    }

    /** Why the pool stopped on its own, or null (still running, or closed). */
    public LocalPoolException failure() {
        return failure;
    }

    /** One reconcile pass: observe, plan, carry out. */
    private void pass() {
        long now = System.currentTimeMillis();
        Map<String, Heartbeat> heartbeats = new LinkedHashMap<>();
        for (Heartbeat h : queue.heartbeats(jedis)) {
            heartbeats.put(h.workerId(), h);
        }
        List<ObservedWorker> observed = new ArrayList<>();
        for (ChildWorker c : children.values()) {
            observed.add(observe(c, heartbeats.get(c.name)));
        }
        Expectations.Pending pending = expectations.observe(spec.name(), observed, now);
        Plan plan = PoolPlanner.plan(new DesiredPool(spec.replicas(), revision), observed, pending);
        lastReason = plan.reason();
        for (String name : plan.reclaim()) {
            ChildWorker c = children.get(name);
            int code = c == null ? -1 : c.process.exitValue();
            int handedBack = queue.handBackAll(jedis, name, "WorkerLost: local worker " + name + " exited with code " + code);
            queue.removeHeartbeat(jedis, name);
            if (c != null && code != 0) {
                options.events().accept("worker " + name + " (pid " + c.pid() + ") died with exit code " + code + describe(code)
                        + "; " + handedBack + " claimed task(s) handed back; replacing it");
                noteFailure(c, heartbeats.containsKey(name));
            } else if (c != null && !c.drainRequested) {
                options.events().accept("worker " + name + " recycled after maxTasksPerWorker=" + spec.maxTasksPerWorker() + "; replacing it");
            }
            if (c != null && !c.drainRequested) {
                replaced++;
            }
        }
        for (String name : plan.delete()) {
            ChildWorker c = children.remove(name);
            if (c != null && c.alive()) {
                c.kill(); // the planner deletes only exited or never-started workers: defensive
            }
            expectations.expectDelete(spec.name(), name, now);
        }
        for (String name : plan.drain()) {
            ChildWorker c = children.get(name);
            if (c != null) {
                c.drain();
                options.events().accept("draining worker " + name + " (" + plan.reason() + ")");
            }
            expectations.expectDrain(spec.name(), name, now);
        }
        if (plan.create() > 0 && now < createNotBefore) {
            return; // crash-loop back-off: the next pass after it creates
        }
        for (int i = 0; i < plan.create(); i++) {
            if (!isRunning()) {
                return;
            }
            ChildWorker c = spawn();
            children.put(c.name, c);
            expectations.expectCreate(spec.name(), c.name, revision, now);
            options.events().accept("started worker " + c.name + " (pid " + c.pid() + ")");
        }
    }

    private void noteFailure(ChildWorker c, boolean hadHeartbeat) {
        long now = System.currentTimeMillis();
        if (!hadHeartbeat && now - c.createdAtMillis < 60_000) {
            failedAtStart++;
        }
        if (now - c.createdAtMillis < 10_000) {
            // Died young: like a CrashLoopBackOff, wait 1 s, 2 s, ... up to 30 s before the next start.
            crashBackoffMillis = crashBackoffMillis == 0 ? 1000 : Math.min(30_000, crashBackoffMillis * 2);
            createNotBefore = now + crashBackoffMillis;
        } else {
            crashBackoffMillis = 0;
        }
        lastFailedName = c.name;
        lastFailedLog = c.log;
        lastFailedTail = c.logTail(8);
    }

    private static String describe(int code) {
        return code > 128 ? " (killed by signal " + (code - 128) + ")" : code == 2 ? " (bad configuration, see its log)" : "";
    }

    /** Maps a child onto the planner's phases (docs/pool-keeping.md, "What a caller must report"). */
    private static ObservedWorker observe(ChildWorker c, Heartbeat h) {
        Phase phase;
        boolean draining = c.drainRequested;
        if (!c.alive()) {
            phase = c.process.exitValue() == 0 ? Phase.SUCCEEDED : Phase.FAILED;
        } else if (h != null && (h.state() == WorkerState.RUNNING || h.state() == WorkerState.DRAINING || h.state() == WorkerState.STOPPED)) {
            phase = Phase.READY;
            // A worker recycling itself (maxTasksPerWorker) drains on its own: its replacement may start now.
            draining |= h.state() != WorkerState.RUNNING;
        } else {
            phase = Phase.STARTING;
        }
        int inFlight = h == null ? ObservedWorker.UNKNOWN_IN_FLIGHT : h.inFlight();
        return new ObservedWorker(c.name, c.revision, phase, draining, inFlight, c.createdAtMillis);
    }

    private ChildWorker spawn() {
        String name = workerPrefix + "-w" + (++sequence);
        Path log = logDir.resolve(name + ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options.javaOptions());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(LocalWorkerMain.class.getName());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(workerEnv(name));
        pb.environment().put(LocalWorkerMain.SUPERVISOR_PID, Long.toString(ProcessHandle.current().pid()));
        try {
            return new ChildWorker(name, revision, pb.start(), log, System.currentTimeMillis());
        } catch (IOException e) {
            throw new LocalPoolException("could not start a worker JVM (" + command.getFirst() + "): " + e.getMessage(), e);
        }
    }

    /** The worker's configuration, as the operator would set it on a pod (names from WorkerEnv). */
    private Map<String, String> workerEnv(String workerId) {
        return workerEnv(spec, redisUrl, workerId);
    }

    static Map<String, String> workerEnv(PoolSpec spec, String redisUrl, String workerId) {
        return spec.workerEnv(redisUrl, workerId);
    }

    /** The revision is the worker configuration minus the per-worker id: a changed spec means new workers. */
    private static String revisionOf(Map<String, String> env) {
        Map<String, String> shared = new TreeMap<>(env);
        shared.remove(WorkerEnv.WORKER_ID);
        return Revision.of(shared.toString().getBytes(StandardCharsets.UTF_8));
    }

    private synchronized boolean isRunning() {
        return state == State.RUNNING;
    }

    /**
     * Stops the pool: no more replacements, SIGTERM to every worker, wait for them to drain (up to
     * drainTimeout plus a grace), SIGKILL stragglers and hand back their claims, stop the embedded Redis.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (state != State.RUNNING) {
                while (state != State.STOPPED) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                return;
            }
            state = State.STOPPING;
        }
        try {
            try {
                supervisor.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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
            if (embeddedRedis == null) {
                // A shared Redis outlives us: leave nothing claimed by workers that are gone.
                try (Jedis j = endpoint.connect("reservoir-local-stop", Duration.ofSeconds(5))) {
                    for (ChildWorker c : children.values()) {
                        queue.handBackAll(j, c.name, "WorkerLost: local pool stopped before worker " + c.name + " finished draining");
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
            stopRedis();
            options.events().accept("stopped: every worker exited" + (embeddedRedis != null ? ", embedded Redis stopped" : ""));
        } finally {
            synchronized (this) {
                state = State.STOPPED;
                notifyAll();
            }
        }
    }

    private void stopRedis() {
        if (embeddedRedis != null) {
            embeddedRedis.stop();
        }
    }

    private void closeJedis() {
        if (jedis != null) {
            try {
                jedis.close();
            } catch (RuntimeException ignored) {
                // broken already
            }
            jedis = null;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For messages. */
    @Override
    public String toString() {
        return "local pool " + spec.name() + " (" + spec.replicas() + " × " + spec.threads() + " threads) at " + new PoolKeys(spec.name()).prefix()
                + " on " + endpoint;
    }
}
