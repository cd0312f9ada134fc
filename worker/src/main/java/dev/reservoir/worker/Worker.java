package dev.reservoir.worker;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.WorkerState;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.spec.Dispatch;
import dev.reservoir.spec.ThreadMode;
import dev.reservoir.worker.handler.HandlerRegistry;
import dev.reservoir.worker.memory.MemoryPool;
import dev.reservoir.worker.memory.MemoryPoolConfig;
import dev.reservoir.worker.memory.MemoryPoolStats;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

/**
 * A worker: claims tasks from its pool's shared stream and runs them on its thread pool, with
 * payloads and scratch space in its off-heap memory pool.
 *
 * <h2>Lifecycle</h2>
 * <pre>
 * STARTING ──Redis reached, group ensured──▶ RUNNING ──SIGTERM / POST /drain / maxTasksPerWorker / stuck handler──▶ DRAINING ──▶ STOPPED
 * </pre>
 * The state only moves forward ({@link Lifecycle}). RUNNING: the fetcher claims at most as many tasks
 * as it has free slots (threads + prefetch). DRAINING: no new claims; claimed-but-unstarted tasks are
 * handed back at once so idle peers take them; running tasks get until {@code drainTimeout}, then are
 * handed back too (with an attempt counted) and interrupted; outcomes are flushed; the consumer is
 * deleted if it owns nothing.
 *
 * <h2>Rooms</h2>
 * This class keeps the lifecycle (start, drain, stop) and wires the rooms together; each room is a
 * class of its own, with its own threads and failure handling:
 * <ul>
 *   <li>claim: the {@link Fetcher}, one thread;</li>
 *   <li>run: {@code threads} runners (platform or virtual, a {@link RunnerPool}) running {@link Job}s
 *       through the {@link JobRunner};</li>
 *   <li>complete: the {@link Completer}, one thread writing outcomes in batches;</li>
 *   <li>housekeeping: the {@link Housekeeper}, one scheduled thread (claim renewal, timeouts, heartbeat);</li>
 *   <li>and the {@link HttpEndpoint}'s thread.</li>
 * </ul>
 * They share the claim slots and the in-flight jobs (fields below). A Throwable that a room does not
 * handle goes to this worker's {@link FatalErrorPolicy}, after the worker made itself unready.
 *
 * <h2>Delivery</h2>
 * A task is acknowledged only in the same script that writes its outcome, and only while this
 * worker still owns it; a claim is renewed every third of the visibility timeout, so a running task
 * is never handed to a second worker unless this one stopped renewing (died or stalled).
 */
public final class Worker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Worker.class.getName());
    /** How long a memory pool snapshot serves: stats() takes every stripe lock, and a scrape reads seven gauges. */
    private static final long MEMORY_STATS_MAX_AGE_NANOS = 250_000_000L;

    private final WorkerConfig config;
    private final HandlerRegistry handlers;
    private final PoolQueue queue;
    private final MemoryPool memory;
    private final WorkerMetrics metrics = new WorkerMetrics();
    /** Connections for the completer, housekeeper and HTTP handlers (the fetcher has its own). */
    private final JedisPool redis;
    private final Lifecycle lifecycle = new Lifecycle();
    /** What the rooms last learned of Redis (readiness, and the one log line per change). */
    private final RedisHealth redisHealth = new RedisHealth();
    private final FatalErrorPolicy fatalErrorPolicy;
    private final long startedAt = System.currentTimeMillis();

    /** Claim slots (threads + prefetch): the fetcher takes one per claimed task, the completer gives it back once written. */
    private final Semaphore slots;
    /** Every claimed task not yet written, by stream id: added by the fetcher, removed by the completer. */
    private final Map<String, Job> inFlight = new ConcurrentHashMap<>();
    /** The thread pool: runs claimed jobs in claim order; the drain takes back the unstarted ones. */
    private final RunnerPool<Job> runners;
    private final Completer completer;
    private final JobRunner jobRunner;
    private final Fetcher fetcher;
    private final Housekeeper housekeeper;

    /** Written once by start() (synchronized); volatile for the threads that read it (drain, httpPort). */
    private volatile HttpEndpoint http;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object drainLock = new Object();
    /** Guarded by drainLock: true once a drain was started (drain runs once). */
    private boolean drainStarted;
    /** Set by the first {@link #requestDrain}: later requests start no thread (each POST /drain would otherwise start one). */
    private final AtomicBoolean drainRequested = new AtomicBoolean();
    /** The last memory pool snapshot and when it was taken; racy on purpose: two threads may both refresh, either snapshot is fine. */
    private volatile MemoryPoolStats lastMemoryStats;
    private volatile long lastMemoryStatsAt;

    /** A worker whose fatal errors are only logged ({@link FatalErrorPolicy#LOG_ONLY}): for a worker embedded in another process. */
    public Worker(WorkerConfig config, HandlerRegistry handlers) {
        this(config, handlers, FatalErrorPolicy.LOG_ONLY);
    }

    public Worker(WorkerConfig config, HandlerRegistry handlers, FatalErrorPolicy fatalErrorPolicy) {
        this.config = config;
        this.handlers = handlers;
        this.fatalErrorPolicy = fatalErrorPolicy;
        this.queue = new PoolQueue(new PoolKeys(config.pool()));
        this.memory = new MemoryPool(new MemoryPoolConfig(config.blockSize(), config.blocks(), config.maxBlocks(), config.leakDetection()));
        this.memory.onLeak(leak -> LOG.log(Level.WARNING, "memory pool block " + leak.blockIndex() + " leased by " + leak.owner()
                + " was not released; released it now", leak.whereTaken()));
        this.slots = new Semaphore(config.slots());
        this.redis = config.redis().pool("reservoir-worker-" + config.workerId(), 8);
        PrefetchBound prefetchBound = new PrefetchBound(config.threads(), config.slots() - config.threads());
        Thread.Builder runnerThreads = config.threadMode() == ThreadMode.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform();
        this.runners = new RunnerPool<>(config.threads(), runnerThreads.name("reservoir-runner-", 0).uncaughtExceptionHandler(this::fatal)
                .factory(), this::run);
        this.completer = new Completer(config, queue, redis, lifecycle, metrics, inFlight, slots, runners, redisHealth,
                roomThread("reservoir-completer"));
        this.jobRunner = new JobRunner(config, memory, metrics, prefetchBound, completer);
        this.fetcher = new Fetcher(config, queue, lifecycle, metrics, handlers, slots, prefetchBound, runners, inFlight, completer,
                redisHealth, () -> startDrain("reservoir-recycle", false), roomThread("reservoir-fetcher"));
        this.housekeeper = new Housekeeper(config, queue, redis, metrics, inFlight, this::heartbeat, redisHealth, this::fatal,
                this::abandonStuck, roomThread("reservoir-housekeeper"));
        registerGauges();
    }

    public WorkerConfig config() {
        return config;
    }

    public WorkerState state() {
        return lifecycle.state();
    }

    /**
     * Whether this worker can claim now: RUNNING (not draining), consuming (the fetcher's last Redis call
     * succeeded), every room's last Redis call went through (reachable, a primary, not full: see
     * {@link #notReadyReason}) and no fatal error.
     */
    public boolean isReady() {
        return lifecycle.state() == WorkerState.RUNNING && fetcher.consuming() && redisHealth.reason() == null
                && lifecycle.fatalError() == null;
    }

    /** Why Redis keeps this worker unready (e.g. "write: Redis is full ..."), or null when it does not. */
    public String notReadyReason() {
        return redisHealth.reason();
    }

    /** True until a fatal error: from then this worker must be replaced. */
    public boolean isLive() {
        return lifecycle.fatalError() == null;
    }

    /** The first fatal error (see {@link FatalErrorPolicy}), or null. */
    public Throwable fatalError() {
        return lifecycle.fatalError();
    }

    public int httpPort() {
        HttpEndpoint endpoint = http;
        return endpoint == null ? -1 : endpoint.port();
    }

    /** Starts every room; returns at once. The fetcher connects (and retries) in the background. */
    public synchronized Worker start() {
        if (config.httpPort() >= 0) {
            http = HttpEndpoint.start(config.httpPort(), this, config.httpToken(), HttpEndpoint.REQUEST_TIMEOUT,
                    roomThread("reservoir-http"), Thread.ofPlatform().name("reservoir-http-handler-", 0).daemon(true)
                            .uncaughtExceptionHandler(this::fatal).factory());
        }
        runners.start();
        completer.start();
        fetcher.start();
        housekeeper.start();
        if (config.dispatch() != Dispatch.SharedQueue) {
            LOG.warning("dispatch=" + config.dispatch() + ": chosen-worker routing is not built yet; this worker consumes the shared"
                    + " queue (the client refuses to submit to such pools, so nothing waits in an inbox)");
        }
        LOG.info("worker started: " + config + (http != null ? " http=" + http.port() : "") + " handlers=" + handlers.names());
        return this;
    }

    /**
     * The runners' action. A method, not {@code jobRunner::runIfStillQueued}: the pool is built before the
     * JobRunner, whose Completer needs the pool.
     */
    private void run(Job job) {
        jobRunner.runIfStillQueued(job);
    }

    // ---------------------------------------------------------------- status

    public Heartbeat heartbeat() {
        MemoryPoolStats m = memoryStats();
        return new Heartbeat(config.workerId(), lifecycle.state(), config.threads(), jobRunner.busy(), inFlight.size(), completer.completed(),
                completer.failed(), m.blocksInUse(), m.blocksAllocated(), m.maxBlocks(), m.highWater(), hostName(), ProcessHandle.current().pid(),
                startedAt, System.currentTimeMillis(), jitMillis());
    }

    private MemoryPoolStats memoryStats() {
        long now = System.nanoTime();
        MemoryPoolStats cached = lastMemoryStats;
        if (cached == null || now - lastMemoryStatsAt > MEMORY_STATS_MAX_AGE_NANOS) {
            cached = memory.stats();
            lastMemoryStats = cached;
            lastMemoryStatsAt = now;
        }
        return cached;
    }

    /** Total JIT compilation time of this JVM (0 where the JVM does not report it); an optional diagnostic field of the heartbeat. */
    private static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "";
        }
    }

    private void registerGauges() {
        metrics.gauge("reservoir_worker_busy_threads", "Threads running a task", jobRunner::busy);
        metrics.gauge("reservoir_worker_threads", "Threads in the pool", config::threads);
        metrics.gauge("reservoir_worker_in_flight_tasks", "Claimed tasks not yet written", inFlight::size);
        metrics.gauge("reservoir_worker_ready", "1 while consuming", () -> isReady() ? 1 : 0);
        metrics.gauge("reservoir_memory_blocks_in_use", "Memory pool blocks leased", () -> memoryStats().blocksInUse());
        metrics.gauge("reservoir_memory_blocks_allocated", "Memory pool blocks allocated", () -> memoryStats().blocksAllocated());
        metrics.gauge("reservoir_memory_blocks_max", "Memory pool block cap", () -> memoryStats().maxBlocks());
        metrics.gauge("reservoir_memory_blocks_high_water", "Most blocks leased at once", () -> memoryStats().highWater());
        metrics.gauge("reservoir_memory_waits", "Leases that had to wait for a block", () -> memoryStats().waits());
        metrics.gauge("reservoir_memory_growths", "Slabs added after start", () -> memoryStats().growths());
        metrics.gauge("reservoir_memory_leaks", "Leases found unreleased at the end of their task", () -> memoryStats().leaks());
    }

    String scrapeMetrics() {
        return metrics.scrape();
    }

    // ---------------------------------------------------------------- fatal errors

    /**
     * Where every room's unhandled Throwable goes (the uncaught-exception handler of the worker's threads,
     * and the housekeeper's guard): the first makes the worker unready and stops claiming, then goes to
     * the policy; later ones are only logged.
     */
    private void fatal(Thread thread, Throwable error) {
        if (lifecycle.recordFatal(error)) {
            fatalErrorPolicy.onFatalError(thread, error);
            return;
        }
        try {
            LOG.log(Level.SEVERE, "another fatal error, in " + thread.getName(), error);
        } catch (Throwable ignored) {
            // the first one is what counts
        }
    }

    // ---------------------------------------------------------------- stuck handlers

    /**
     * A handler ignored its timeout's interrupt for the grace period: its runner thread cannot be taken back,
     * so this worker is one thread short for good and must be replaced. The tasks queued behind the job are
     * handed back at once so idle peers run them, the job is abandoned (its attempt fails with TaskTimeout,
     * see {@link JobRunner#failAbandoned}), and the worker drains and stops (exit 0: the supervisor replaces
     * it). The siblings go back first, so on the stream they stand ahead of a retry of the stuck task.
     */
    private void abandonStuck(Job job) {
        if (!job.transition(Job.State.RUNNING, Job.State.ABANDONED)) {
            return;
        }
        handBackQueued();
        jobRunner.failAbandoned(job);
        LOG.warning("task " + job.taskId() + " ran past its timeout of " + job.timeoutMillis + "ms and ignored the interrupt; abandoned it"
                + " (attempt " + job.attempt + " of " + config.maxAttempts() + " counted) and recycling this worker, whose runner thread"
                + " stays stuck in the handler");
        startDrain("reservoir-recycle", true);
    }

    // ---------------------------------------------------------------- drain and stop

    /** Starts a drain in the background (idempotent); used by POST /drain. */
    public void requestDrain() {
        if (drainRequested.compareAndSet(false, true)) {
            startDrain("reservoir-drain", true);
        }
    }

    private void startDrain(String threadName, boolean handBackQueuedAtOnce) {
        roomThread(threadName).newThread(() -> drainAndStop(handBackQueuedAtOnce)).start();
    }

    /**
     * Drains and stops: no new claims; unstarted tasks handed back at once; running ones get until
     * drainTimeout, then are handed back (attempt counted) and interrupted; outcomes flushed.
     * Idempotent; returns when STOPPED.
     */
    public void drainAndStop() {
        drainAndStop(true);
    }

    /**
     * @param handBackQueuedAtOnce true when the worker is being removed (SIGTERM, POST /drain): idle
     *        peers should get its prefetched tasks now; false when it recycles itself after
     *        maxTasksPerWorker: it runs the few tasks it already claimed (at most prefetch) first
     */
    private void drainAndStop(boolean handBackQueuedAtOnce) {
        synchronized (drainLock) {
            if (drainStarted) {
                awaitStopped();
                return;
            }
            drainStarted = true;
        }
        lifecycle.advanceTo(WorkerState.DRAINING);
        housekeeper.publishHeartbeat();
        LOG.info("draining: " + inFlight.size() + " task(s) in flight; no new claims");
        fetcher.awaitEnd(Duration.ofSeconds(20));
        if (handBackQueuedAtOnce) {
            handBackQueued();
        }
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        while (System.nanoTime() < deadline && !inFlight.isEmpty()) {
            sleep(20);
        }
        handBackQueued();
        List<Job> abandoned = new ArrayList<>();
        for (Job job : inFlight.values()) {
            if (job.transition(Job.State.RUNNING, Job.State.ABANDONED)) {
                abandoned.add(job);
                completer.enqueue(Completer.Write.handBack(job, true, ErrorTypes.WORKER_LOST
                        + ": worker drained before the task finished (drainTimeout=" + config.drainTimeout().toMillis() + "ms)"));
            }
        }
        if (!abandoned.isEmpty()) {
            LOG.warning("drainTimeout passed with " + abandoned.size() + " task(s) still running: handed them back and interrupted them");
            abandoned.forEach(j -> {
                Thread t = j.runner;
                if (t != null) {
                    t.interrupt();
                }
            });
        }
        // Flush what is left to write (bounded: if Redis is down, claims stay pending and are reclaimed later).
        long flushDeadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < flushDeadline && !inFlight.isEmpty()) {
            sleep(20);
        }
        stopRooms();
        try (Jedis jedis = redis.getResource()) {
            if (inFlight.isEmpty()) {
                queue.deleteConsumerIfIdle(jedis, config.workerId());
            }
            queue.removeHeartbeat(jedis, config.workerId());
        } catch (RuntimeException e) {
            LOG.warning("could not remove this worker's heartbeat and consumer (" + e.getMessage() + "): the heartbeat expires"
                    + " by itself; the consumer stays in the group until the operator or local supervisor removes it");
        }
        if (!inFlight.isEmpty()) {
            LOG.warning(inFlight.size() + " outcome(s) could not be written before stopping; those tasks stay claimed and are reclaimed by"
                    + " other workers after the visibility timeout");
        }
        LOG.info("stopped: completed=" + completer.completed() + " failed=" + completer.failed());
        redis.close();
        memory.close();
        HttpEndpoint endpoint = http;
        if (endpoint != null) {
            endpoint.stop();
        }
        stopped.countDown();
    }

    private void handBackQueued() {
        for (Job job : runners.takeQueued()) {
            if (job.transition(Job.State.QUEUED, Job.State.HANDED_BACK)) {
                completer.enqueue(Completer.Write.handBack(job, false, null));
            }
        }
    }

    private void stopRooms() {
        lifecycle.advanceTo(WorkerState.STOPPED);
        runners.stop(Duration.ofSeconds(2));
        completer.stop(Duration.ofSeconds(5));
        housekeeper.stop(Duration.ofSeconds(5));
    }

    public void awaitStopped() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        drainAndStop();
    }

    /** A platform thread of this worker's whose unhandled Throwable is {@link #fatal}. */
    private ThreadFactory roomThread(String name) {
        return Thread.ofPlatform().name(name).daemon(false).uncaughtExceptionHandler(this::fatal).factory();
    }

    /** Sleeps; an interrupt ends the sleep and stays set for the caller's loop to see. */
    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
