package dev.reservoir.local;

import dev.reservoir.local.LocalPool.State;
import dev.reservoir.pool.DesiredPool;
import dev.reservoir.pool.Expectations;
import dev.reservoir.pool.ObservedWorker;
import dev.reservoir.pool.Phase;
import dev.reservoir.pool.Plan;
import dev.reservoir.pool.PoolPlanner;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.WorkerState;
import dev.reservoir.redis.PoolQueue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The supervisor thread of one local pool. Every pass it observes its children (alive? exit code?
 * heartbeat state and in-flight from Redis), asks the planner the operator uses ({@link PoolPlanner}),
 * and carries out the plan: create = start a worker JVM; drain = SIGTERM; reclaim = hand an exited
 * worker's claimed tasks back to the shared stream at once ({@link PoolQueue#handBackAll}); delete =
 * forget the exited child. It records each action in {@link Expectations}, so no pass acts twice on
 * the same thing.
 *
 * <p>It moves the pool STARTING → RUNNING once {@code spec.replicas} children publish a RUNNING
 * heartbeat, and passes every {@value #STARTING_INTERVAL_MS} ms until then so that readiness shows
 * at once. It runs while the pool is STARTING or RUNNING. When the embedded Redis dies it records why
 * and stops the pool (the queue went with it); a Redis named by the spec is waited for instead. An
 * {@link Error} on this thread stops the pool likewise: an unsupervised pool would look healthy.
 */
final class Supervisor implements Runnable {
    private static final long STARTING_INTERVAL_MS = 50;

    /** Workers that exited before their first heartbeat, and the last worker that exited with a failure. */
    record StartFailures(int atStart, String lastName, Path lastLog, String lastLogTail) {
        static final StartFailures NONE = new StartFailures(0, null, null, null);
    }

    private final PoolSpec spec;
    private final Duration interval;
    private final Consumer<String> events;
    private final LocalRedis redis;
    private final PoolQueue queue;
    private final WorkerLauncher launcher;
    private final PoolLifecycle lifecycle;
    /** Stops the whole pool; run on a thread of its own, since it waits for this one. */
    private final Runnable stopPool;
    private final Thread thread;
    private final Expectations expectations = new Expectations();
    /** Children by name. Written by the supervisor thread, and by the pool's close() once this thread has ended. */
    private final Map<String, ChildWorker> children = new ConcurrentHashMap<>();
    /** Confined to the supervisor thread. */
    private Jedis jedis;
    /** Confined to the supervisor thread: crash-loop back-off of creates. */
    private long crashBackoffMillis;
    private long createNotBefore;
    /** Written by the supervisor thread; read by anyone. */
    private volatile String lastReason = "starting";
    private volatile int replaced;
    private volatile StartFailures startFailures = StartFailures.NONE;

    Supervisor(PoolSpec spec, LocalPool.Options options, LocalRedis redis, PoolQueue queue, WorkerLauncher launcher,
               PoolLifecycle lifecycle, Runnable stopPool) {
        this.spec = spec;
        this.interval = options.interval();
        this.events = options.events();
        this.redis = redis;
        this.queue = queue;
        this.launcher = launcher;
        this.lifecycle = lifecycle;
        this.stopPool = stopPool;
        this.thread = Thread.ofPlatform().name("reservoir-local-supervisor").unstarted(this);
    }

    void start() {
        thread.start();
    }

    void join(Duration timeout) throws InterruptedException {
        thread.join(timeout);
    }

    Map<String, ChildWorker> children() {
        return children;
    }

    /** The planner's phrase for the pool right now ("all 4 workers ready", "replacing 1 failed worker"). */
    String reason() {
        return lastReason;
    }

    int replaced() {
        return replaced;
    }

    StartFailures startFailures() {
        return startFailures;
    }

    @Override
    public void run() {
        try {
            superviseWhileActive();
        } catch (Error e) {
            stopOnItsOwn(new LocalPoolException("the local pool's supervisor failed (" + e + "): the workers were stopped", e),
                    "supervisor failed: " + e + ": stopping the workers");
            throw e;
        } finally {
            closeJedis();
        }
    }

    private void superviseWhileActive() {
        while (lifecycle.active()) {
            try {
                if (embeddedRedisDied()) {
                    return;
                }
                if (jedis == null) {
                    jedis = redis.endpoint().connect("reservoir-local-supervisor", Duration.ofSeconds(5));
                }
                pass();
            } catch (RuntimeException e) {
                closeJedis();
                if (e instanceof JedisConnectionException) {
                    redis.awaitEmbeddedExitWhileUnreachable(lifecycle::active);
                }
                if (embeddedRedisDied()) {
                    return;
                }
                if (!lifecycle.active()) {
                    return; // stopped while we waited: nothing to retry
                }
                // A Redis named by the spec is not ours to restart: wait for it to come back.
                events.accept("supervisor: " + e.getMessage() + " (retrying)");
            }
            sleep(lifecycle.state() == State.STARTING ? Math.min(STARTING_INTERVAL_MS, interval.toMillis()) : interval.toMillis());
        }
    }

    /** The embedded Redis is gone: the queue and everything in it went with it, so keeping the workers would only have them retry for ever. */
    private boolean embeddedRedisDied() {
        if (!redis.embeddedDied()) {
            return false;
        }
        stopOnItsOwn(new LocalPoolException("the embedded Redis at " + redis + " exited unexpectedly, taking the queue with it:"
                        + " the workers were stopped; start the pool again (worker logs in " + launcher.logDir() + ")"),
                "embedded Redis at " + redis + " exited unexpectedly: stopping the workers");
        return true;
    }

    private void stopOnItsOwn(LocalPoolException why, String event) {
        lifecycle.recordFailure(why);
        events.accept(event);
        Thread.ofPlatform().name("reservoir-local-stop").start(stopPool);
    }

    /** One reconcile pass: observe, plan, carry out. */
    private void pass() {
        long now = System.currentTimeMillis();
        Map<String, Heartbeat> heartbeats = new LinkedHashMap<>();
        for (Heartbeat h : queue.heartbeats(jedis)) {
            heartbeats.put(h.workerId(), h);
        }
        List<ObservedWorker> observed = new ArrayList<>();
        int running = 0;
        for (ChildWorker c : children.values()) {
            Heartbeat h = heartbeats.get(c.name);
            observed.add(observe(c, h));
            if (h != null && h.state() == WorkerState.RUNNING) {
                running++;
            }
        }
        if (running >= spec.replicas()) {
            lifecycle.advance(State.STARTING, State.RUNNING);
        }
        Expectations.Pending pending = expectations.observe(spec.name(), observed, now);
        Plan plan = PoolPlanner.plan(new DesiredPool(spec.replicas(), launcher.revision()), observed, pending);
        lastReason = plan.reason();
        for (String name : plan.reclaim()) {
            ChildWorker c = children.get(name);
            int code = c == null ? -1 : c.process.exitValue();
            int handedBack = queue.handBackAll(jedis, name, "WorkerLost: local worker " + name + " exited with code " + code,
                    spec.maxAttempts());
            queue.removeHeartbeat(jedis, name);
            if (c != null && code != 0) {
                events.accept("worker " + name + " (pid " + c.pid() + ") died with exit code " + code + describe(code)
                        + "; " + handedBack + " claimed task(s) handed back; replacing it");
                noteFailure(c, heartbeats.containsKey(name));
            } else if (c != null && !c.drainRequested) {
                events.accept("worker " + name + " recycled after maxTasksPerWorker=" + spec.maxTasksPerWorker() + "; replacing it");
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
                events.accept("draining worker " + name + " (" + plan.reason() + ")");
            }
            expectations.expectDrain(spec.name(), name, now);
        }
        if (plan.create() > 0 && now < createNotBefore) {
            return; // crash-loop back-off: the next pass after it creates
        }
        for (int i = 0; i < plan.create(); i++) {
            if (!lifecycle.active()) {
                return;
            }
            ChildWorker c = launcher.spawn();
            children.put(c.name, c);
            expectations.expectCreate(spec.name(), c.name, launcher.revision(), now);
            events.accept("started worker " + c.name + " (pid " + c.pid() + ")");
        }
    }

    private void noteFailure(ChildWorker c, boolean hadHeartbeat) {
        long now = System.currentTimeMillis();
        if (now - c.createdAtMillis < 10_000) {
            // Died young: like a CrashLoopBackOff, wait 1 s, 2 s, ... up to 30 s before the next start.
            crashBackoffMillis = crashBackoffMillis == 0 ? 1000 : Math.min(30_000, crashBackoffMillis * 2);
            createNotBefore = now + crashBackoffMillis;
        } else {
            crashBackoffMillis = 0;
        }
        boolean atStart = !hadHeartbeat && now - c.createdAtMillis < 60_000;
        startFailures = new StartFailures(startFailures.atStart() + (atStart ? 1 : 0), c.name, c.log, c.logTail(8));
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
}
