package dev.reservoir.worker;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.MalformedEntryException;
import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskFields;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import dev.reservoir.protocol.WorkerState;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.StreamEntry;
import dev.reservoir.spec.Dispatch;
import dev.reservoir.spec.ThreadMode;
import dev.reservoir.worker.handler.HandlerRegistry;
import dev.reservoir.worker.handler.NonRetryableException;
import dev.reservoir.worker.handler.TaskHandler;
import dev.reservoir.worker.memory.Block;
import dev.reservoir.worker.memory.LeaseScope;
import dev.reservoir.worker.memory.MemoryPool;
import dev.reservoir.worker.memory.MemoryPoolConfig;
import dev.reservoir.worker.memory.MemoryPoolExhaustedException;
import dev.reservoir.worker.memory.MemoryPoolStats;
import java.lang.foreign.MemorySegment;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A worker: claims tasks from its pool's shared stream and runs them on its thread pool, with
 * payloads and scratch space in its off-heap memory pool.
 *
 * <h2>Lifecycle</h2>
 * <pre>
 * STARTING ──Redis reached, group ensured──▶ RUNNING ──SIGTERM / POST /drain / maxTasksPerWorker──▶ DRAINING ──▶ STOPPED
 * </pre>
 * RUNNING: the fetcher claims at most as many tasks as it has free slots (threads + prefetch).
 * DRAINING: no new claims; claimed-but-unstarted tasks are handed back at once so idle peers take
 * them; running tasks get until {@code drainTimeout}, then are handed back too (with an attempt
 * counted) and interrupted; outcomes are flushed; the consumer is deleted if it owns nothing.
 *
 * <h2>Threads</h2>
 * One fetcher (blocking XREADGROUP on its own connection; also reclaims idle tasks), {@code threads}
 * runners (platform or virtual, a {@link RunnerPool}), one completer writing outcomes in
 * batches (one script call acknowledges a batch atomically), one housekeeper (claim renewal,
 * timeouts, heartbeat), and the HTTP server's thread.
 *
 * <h2>Delivery</h2>
 * A task is acknowledged only in the same script that writes its outcome, and only while this
 * worker still owns it; a claim is renewed every third of the visibility timeout, so a running task
 * is never handed to a second worker unless this one stopped renewing (died or stalled).
 */
public final class Worker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Worker.class.getName());
    private static final Duration REPLY_TTL = Duration.ofHours(1);
    private static final long DEAD_LETTER_MAX_LEN = 100_000;
    private static final int COMPLETE_BATCH = 256;

    private final WorkerConfig config;
    private final HandlerRegistry handlers;
    private final PoolQueue queue;
    private final PoolKeys keys;
    private final MemoryPool memory;
    private final WorkerMetrics metrics = new WorkerMetrics();
    /** Connections for the completer, housekeeper and HTTP handlers (the fetcher has its own). */
    private final JedisPool redis;

    /** Guarded by being volatile and written only through {@link #moveTo}. */
    private volatile WorkerState state = WorkerState.STARTING;
    /** True while the fetcher's last Redis call succeeded; readiness. Written by the fetcher only. */
    private volatile boolean consuming;

    /** Claim slots (threads + prefetch): one is held by each claimed task until its outcome is written. */
    private final Semaphore slots;
    /** How much of the prefetch is in effect, from the recent run times (see PrefetchBound). */
    private final PrefetchBound prefetchBound;
    /** Slots the fetcher keeps out of use while the effective prefetch is below the configured one. Fetcher only. */
    private int withheld;
    /** The thread pool: runs claimed jobs in claim order; drain takes back the unstarted ones. */
    private final RunnerPool<Job> runners;
    /** Every claimed task not yet written, by stream id (renewed, shown in heartbeats). */
    private final Map<String, Job> inFlight = new ConcurrentHashMap<>();
    /** Outcomes and requeues waiting for the completer. */
    private final LinkedBlockingQueue<Write> writes = new LinkedBlockingQueue<>();
    /** Held while outcomes are written: by the completer, or by a thread writing a lone outcome itself. */
    private final ReentrantLock writing = new ReentrantLock();

    private final AtomicLong claimed = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicInteger busy = new AtomicInteger();
    private final long startedAt = System.currentTimeMillis();

    private Thread fetcher;
    private Thread completer;
    private final ScheduledExecutorService housekeeper;
    private HttpEndpoint http;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object drainLock = new Object();
    /** Guarded by drainLock: true once a drain was started (drain runs once). */
    private boolean drainStarted;

    public Worker(WorkerConfig config, HandlerRegistry handlers) {
        this.config = config;
        this.handlers = handlers;
        this.keys = new PoolKeys(config.pool());
        this.queue = new PoolQueue(keys);
        this.memory = new MemoryPool(new MemoryPoolConfig(config.blockSize(), config.blocks(), config.maxBlocks(), config.leakDetection()));
        this.memory.onLeak(leak -> LOG.log(Level.WARNING, "memory pool block " + leak.blockIndex() + " leased by " + leak.owner()
                + " was not released; released it now", leak.whereTaken()));
        this.slots = new Semaphore(config.slots());
        this.prefetchBound = new PrefetchBound(config.threads(), config.slots() - config.threads());
        this.redis = config.redis().pool("reservoir-worker-" + config.workerId(), 8);
        this.housekeeper = Executors.newSingleThreadScheduledExecutor(platform("reservoir-housekeeper"));
        ThreadFactory runnerFactory = config.threadMode() == ThreadMode.VIRTUAL
                ? Thread.ofVirtual().name("reservoir-runner-", 0).factory()
                : Thread.ofPlatform().name("reservoir-runner-", 0).factory();
        this.runners = new RunnerPool<>(config.threads(), runnerFactory, this::runIfStillQueued);
        registerGauges();
    }

    public WorkerConfig config() {
        return config;
    }

    public WorkerState state() {
        return state;
    }

    public boolean isReady() {
        return state == WorkerState.RUNNING && consuming;
    }

    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    /** Starts every thread; returns at once. The fetcher connects (and retries) in the background. */
    public synchronized Worker start() {
        if (config.httpPort() >= 0) {
            http = HttpEndpoint.start(config.httpPort(), this);
        }
        runners.start();
        completer = platform("reservoir-completer").newThread(this::completerLoop);
        completer.start();
        fetcher = platform("reservoir-fetcher").newThread(this::fetcherLoop);
        fetcher.start();
        long renewMillis = Math.max(100, config.visibilityTimeout().toMillis() / 3);
        housekeeper.scheduleWithFixedDelay(this::renewClaims, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
        housekeeper.scheduleWithFixedDelay(this::enforceTimeouts, 100, 100, TimeUnit.MILLISECONDS);
        housekeeper.scheduleWithFixedDelay(this::publishHeartbeat, 0, config.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
        housekeeper.scheduleWithFixedDelay(this::trimStream, 1000, 1000, TimeUnit.MILLISECONDS);
        housekeeper.scheduleAtFixedRate(metrics.clock::tick, WorkerMetrics.CoarseClock.TICK_MILLIS, WorkerMetrics.CoarseClock.TICK_MILLIS,
                TimeUnit.MILLISECONDS);
        if (config.dispatch() != Dispatch.SharedQueue) {
            LOG.warning("dispatch=" + config.dispatch() + ": chosen-worker routing is not built yet; this worker consumes the shared"
                    + " queue (the client refuses to submit to such pools, so nothing waits in an inbox)");
        }
        LOG.info("worker started: " + config + (http != null ? " http=" + http.port() : "") + " handlers=" + handlers.names());
        return this;
    }

    // ---------------------------------------------------------------- fetcher

    private void fetcherLoop() {
        Jedis jedis = null;
        int readAhead = 0; // permits of a claim sent ahead whose answer is still to be read
        long backoff = 100;
        long lastReclaim = 0;
        long reclaimEvery = Math.max(100, config.visibilityTimeout().toMillis() / 2);
        while (state == WorkerState.STARTING || state == WorkerState.RUNNING) {
            int permits = 0;
            try {
                if (jedis == null) {
                    jedis = config.redis().connectFlushing("reservoir-fetch-" + config.workerId(), Duration.ofSeconds(15));
                    queue.ensureGroup(jedis);
                    if (state == WorkerState.STARTING) {
                        moveTo(WorkerState.RUNNING);
                    }
                    if (!consuming) {
                        LOG.info("consuming from " + keys.tasks() + " at " + config.redis());
                    }
                    consuming = true;
                    backoff = 100;
                }
                List<StreamEntry> entries;
                if (readAhead > 0) {
                    // the next read went out before the last claims were handed over: its answer
                    permits = readAhead;
                    readAhead = 0;
                    entries = queue.readAnswer(jedis);
                } else {
                    if (config.maxTasksPerWorker() > 0 && claimed.get() >= config.maxTasksPerWorker()) {
                        LOG.info("claimed maxTasksPerWorker=" + config.maxTasksPerWorker() + " tasks: draining so this worker can be replaced");
                        Thread.ofPlatform().name("reservoir-recycle").start(() -> drainAndStop(false));
                        break;
                    }
                    withholdUnusedPrefetch();
                    if (!slots.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    permits = withholdFrom(1 + slots.drainPermits());
                    if (permits == 0) {
                        continue; // every free slot went to the withheld prefetch: wait for the next one
                    }
                    if (config.maxTasksPerWorker() > 0) {
                        long left = config.maxTasksPerWorker() - claimed.get();
                        if (permits > left) {
                            slots.release((int) (permits - left));
                            permits = (int) left;
                        }
                    }
                    long now = System.currentTimeMillis();
                    if (now - lastReclaim >= reclaimEvery) {
                        lastReclaim = now;
                        entries = queue.reclaim(jedis, config.workerId(), config.visibilityTimeout(), permits);
                        if (!entries.isEmpty()) {
                            metrics.reclaimed.increment(entries.size());
                            LOG.info("reclaimed " + entries.size() + " task(s) left idle for " + config.visibilityTimeout().toMillis() + "ms by other workers");
                        }
                    } else {
                        entries = List.of();
                    }
                    if (entries.isEmpty()) {
                        entries = queue.read(jedis, config.workerId(), permits, Duration.ofSeconds(1));
                    }
                }
                for (StreamEntry entry : entries) {
                    permits--;
                    accept(entry);
                }
                slots.release(permits);
                permits = 0;
                consuming = true;
                try {
                    readAhead = sendClaimAhead(jedis, lastReclaim, reclaimEvery);
                } finally {
                    dispatchReady();
                }
            } catch (InterruptedException e) {
                dispatchReady();
                slots.release(permits);
                break;
            } catch (JedisConnectionException e) {
                dispatchReady();
                slots.release(permits + readAhead);
                readAhead = 0; // went with the connection; whatever it claimed is reclaimed after the visibility timeout
                metrics.redisErrors.increment();
                if (consuming) {
                    LOG.warning("lost Redis at " + config.redis() + " (" + e.getMessage() + "); retrying");
                }
                consuming = false;
                closeQuietly(jedis);
                jedis = null;
                sleep(backoff);
                backoff = Math.min(2000, backoff * 2);
            } catch (JedisDataException e) {
                dispatchReady();
                slots.release(permits);
                metrics.redisErrors.increment();
                if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                    LOG.warning("the stream or its consumer group is gone (Redis lost its data?); recreating it");
                    if (jedis != null) {
                        queue.ensureGroup(jedis);
                    }
                } else if (e.getMessage() != null && (e.getMessage().startsWith("LOADING") || e.getMessage().startsWith("NOAUTH")
                        || e.getMessage().startsWith("WRONGPASS"))) {
                    consuming = false;
                    LOG.warning("Redis at " + config.redis() + " refused: " + e.getMessage() + "; retrying");
                    closeQuietly(jedis);
                    jedis = null;
                    sleep(backoff);
                    backoff = Math.min(2000, backoff * 2);
                } else {
                    LOG.log(Level.WARNING, "Redis error while claiming tasks; retrying", e);
                    sleep(backoff);
                }
            } catch (RuntimeException e) {
                dispatchReady();
                slots.release(permits);
                LOG.log(Level.SEVERE, "unexpected error in the fetcher; retrying", e);
                sleep(1000);
            }
        }
        if (readAhead > 0 && jedis != null) {
            // Draining (or stopping) with a read sent ahead: take its answer, so that what it claimed is handed
            // back by the drain like any other claimed task rather than left for the visibility timeout.
            int permits = readAhead;
            try {
                for (StreamEntry entry : queue.readAnswer(jedis)) {
                    permits--;
                    accept(entry);
                }
            } catch (RuntimeException e) {
                LOG.fine("could not read the answer of the last claim (" + e.getMessage() + "); what it claimed is reclaimed after the"
                        + " visibility timeout");
            } finally {
                dispatchReady();
                slots.release(permits);
            }
        }
        consuming = false;
        slots.release(withheld);
        withheld = 0;
        closeQuietly(jedis);
    }

    /**
     * Sends the next claim now, before the tasks just claimed are handed to the runners, when it can go
     * without waiting (a free slot, no reclaim due, still running): then the fetcher sleeps on its read right
     * after it wakes a runner, and the runner, which the scheduler puts on the fetcher's CPU, starts at once
     * instead of waiting for the fetcher to build and send the read (perf sched: ~40-50 µs per hand-off).
     * Returns the permits of the read sent, or 0.
     */
    private int sendClaimAhead(Jedis jedis, long lastReclaim, long reclaimEvery) {
        if (ready.isEmpty() || state != WorkerState.RUNNING || System.currentTimeMillis() - lastReclaim >= reclaimEvery
                || config.maxTasksPerWorker() > 0) {
            return 0; // recycling workers keep the simple path: their claim count is checked before each read
        }
        withholdUnusedPrefetch();
        if (!slots.tryAcquire()) {
            return 0;
        }
        int permits = withholdFrom(1 + slots.drainPermits());
        if (permits == 0) {
            return 0;
        }
        try {
            queue.sendRead(jedis, config.workerId(), permits, Duration.ofSeconds(1));
        } catch (RuntimeException e) {
            slots.release(permits);
            throw e;
        }
        return permits;
    }

    /** Hands the tasks claimed by the last read to the runners. */
    private void dispatchReady() {
        for (Job job : ready) {
            runners.submit(job);
        }
        ready.clear();
    }

    /**
     * Keeps {@code prefetch - effective prefetch} slots out of use, so that the fetcher claims beyond its
     * free threads only what they will start soon. Slots withheld are taken only when free (never waits)
     * and given back as soon as the effective prefetch grows.
     */
    private void withholdUnusedPrefetch() {
        int target = config.slots() - config.threads() - prefetchBound.current();
        if (withheld > target) {
            slots.release(withheld - target);
            withheld = target;
        }
        while (withheld < target && slots.tryAcquire()) {
            withheld++;
        }
    }

    /** Moves slots the effective prefetch does not allow from {@code permits} to the withheld ones; returns the rest. */
    private int withholdFrom(int permits) {
        int missing = config.slots() - config.threads() - prefetchBound.current() - withheld;
        int moved = Math.max(0, Math.min(missing, permits));
        withheld += moved;
        return permits - moved;
    }

    /** Claimed jobs not yet handed to the runners (fetcher thread only; see sendClaimAhead). */
    private final List<Job> ready = new ArrayList<>();

    /** Turns a claimed entry into a job: ready for a runner, or finished at once when it cannot run. */
    private void accept(StreamEntry entry) {
        claimed.incrementAndGet();
        Task task;
        try {
            task = Task.fromFields(entry.fields());
        } catch (MalformedEntryException e) {
            Job job = new Job(entry.id(), null, 1, 0);
            inFlight.put(job.streamId, job);
            String id = entry.text(TaskFields.ID);
            String reply = entry.text(TaskFields.REPLY);
            String handler = entry.text(TaskFields.HANDLER);
            LOG.warning("malformed task entry " + entry.id() + ": " + e.getMessage() + "; dead-lettered");
            TaskResult result = TaskResult.failed(id != null && !id.isEmpty() && id.length() <= 200 ? id : entry.id(),
                    ErrorTypes.MALFORMED_TASK, "stream entry " + entry.id() + ": " + e.getMessage() + " (see docs/protocol.md)", 1,
                    config.workerId(), 0);
            finish(job, new PoolQueue.Outcome(entry.id(), result, reply, handler, entry.fields().get(TaskFields.PAYLOAD)));
            return;
        }
        int attempt = (int) Math.min(Integer.MAX_VALUE, task.attempt() + Math.max(0, entry.deliveries() - 1));
        Job job = new Job(entry.id(), task, attempt, task.submittedAt() > 0 ? task.submittedAt() : entry.idMillis());
        inFlight.put(job.streamId, job);
        if (attempt > config.maxAttempts()) {
            String last = task.lastError() == null ? "" : "; last error: " + task.lastError();
            failNow(job, ErrorTypes.WORKER_LOST, "gave up after " + (attempt - 1) + " attempt(s) (maxAttempts=" + config.maxAttempts()
                    + "): the workers running it stopped before finishing" + last);
            return;
        }
        job.handler = handlers.get(task.handler());
        if (job.handler == null) {
            failNow(job, ErrorTypes.UNKNOWN_HANDLER, "no handler named '" + task.handler() + "' in this worker image (it has: "
                    + String.join(", ", handlers.names()) + "); add a jar with the handler to the handlers directory");
            return;
        }
        if (task.payload().length > config.blockSize()) {
            failNow(job, ErrorTypes.PAYLOAD_TOO_LARGE, "payload of " + task.payload().length + " bytes exceeds the memory pool block size of "
                    + config.blockSize() + " bytes; raise memoryPool.blockSize or pass a reference to the data instead");
            return;
        }
        ready.add(job);
    }

    private void failNow(Job job, String type, String message) {
        job.transition(Job.State.QUEUED, Job.State.FINISHED);
        TaskResult result = TaskResult.failed(job.taskId(), type, message, job.attempt, config.workerId(), 0);
        finish(job, new PoolQueue.Outcome(job.streamId, result, job.task.replyTo(), job.task.handler(), job.task.payload()));
    }

    // ---------------------------------------------------------------- runners

    private void runIfStillQueued(Job job) {
        if (job.transition(Job.State.QUEUED, Job.State.RUNNING)) {
            run(job);
        } // else handed back by a drain
    }

    private void run(Job job) {
        Task task = job.task;
        TaskHandler handler = job.handler;
        long timeout = task.timeoutMillis() > 0 ? task.timeoutMillis() : config.taskTimeout().toMillis();
        // Three clock reads per task in all (start, start wall time, end): they are not free on every VM.
        long start = System.nanoTime();
        long startMillis = System.currentTimeMillis();
        job.runner = Thread.currentThread();
        job.deadlineNanos = timeout > 0 ? start + TimeUnit.MILLISECONDS.toNanos(timeout) : Long.MAX_VALUE;
        if (job.submittedAt > 0) {
            metrics.queueWait.record(Math.max(0, startMillis - job.submittedAt), TimeUnit.MILLISECONDS);
        }
        busy.incrementAndGet();
        byte[] value = null;
        Throwable error = null;
        Context context = null;
        try {
            // Untracked: released in the finally below, so it cannot leak (the scratch scope tracks the handler's leases).
            Block payloadBlock = memory.leaseUntracked(config.memoryWait(), task.id());
            try {
                byte[] bytes = task.payload();
                MemorySegment payload = payloadBlock.segment().asSlice(0, bytes.length);
                MemorySegment.copy(MemorySegment.ofArray(bytes), 0, payload, 0, bytes.length);
                context = new Context(job, payload.asReadOnly());
                value = handler.handle(context);
                if (value == null) {
                    value = new byte[0];
                }
            } finally {
                try {
                    if (context != null) {
                        context.close();
                    }
                } finally {
                    payloadBlock.release();
                }
            }
        } catch (Throwable t) {
            error = t;
        } finally {
            busy.decrementAndGet();
            job.runner = null;
            Thread.interrupted(); // clear a timeout interrupt that arrived after the handler returned
        }
        long elapsed = System.nanoTime() - start;
        prefetchBound.observe(elapsed);
        long micros = TimeUnit.NANOSECONDS.toMicros(elapsed);
        metrics.duration.record(micros, TimeUnit.MICROSECONDS);
        if (!job.transition(Job.State.RUNNING, Job.State.FINISHED)) {
            return; // abandoned by a drain that timed out: it was handed back, this result is dropped
        }
        if (error == null && job.timedOut) {
            error = new java.util.concurrent.TimeoutException("ran longer than its timeout of " + timeout + "ms");
        }
        if (error == null) {
            // finishedAt from the start and the run time rather than one more clock read
            TaskResult ok = new TaskResult(task.id(), TaskStatus.OK, value, null, null, job.attempt, config.workerId(), micros,
                    startMillis + elapsed / 1_000_000);
            finish(job, new PoolQueue.Outcome(job.streamId, ok, task.replyTo(), task.handler(), null));
            return;
        }
        String type;
        boolean retryable = true;
        if (job.timedOut) {
            type = ErrorTypes.TIMEOUT;
        } else if (error instanceof NonRetryableException) {
            type = ErrorTypes.NON_RETRYABLE;
            retryable = false;
        } else if (error instanceof MemoryPoolExhaustedException) {
            type = ErrorTypes.MEMORY_EXHAUSTED;
        } else {
            type = ErrorTypes.HANDLER_ERROR;
        }
        String message = job.timedOut ? "task ran longer than its timeout of " + timeout + "ms"
                : error.getClass().getSimpleName() + ": " + error.getMessage();
        if (retryable && job.attempt < config.maxAttempts()) {
            writes.add(Write.retry(job, type + ": " + message));
        } else {
            TaskResult result = TaskResult.failed(task.id(), type, message, job.attempt, config.workerId(), micros);
            finish(job, new PoolQueue.Outcome(job.streamId, result, task.replyTo(), task.handler(), task.payload()));
        }
    }

    private void finish(Job job, PoolQueue.Outcome outcome) {
        Write write = Write.outcome(job, outcome);
        // A lone outcome (nothing else to write, nothing queued to run) is written by this thread: waking
        // the completer would add a thread hand-off to every round trip of a lightly loaded pool. Under
        // load the completer batches as before, and a failed write is left to it (it retries with backoff).
        if (writes.isEmpty() && runners.queued() == 0 && writing.tryLock()) {
            try {
                write(List.of(write));
                return;
            } catch (RuntimeException e) {
                metrics.redisErrors.increment();
            } finally {
                writing.unlock();
            }
        }
        writes.add(write);
    }

    /**
     * What the completer must write for a job: an outcome, or a requeue (retry after a failed attempt,
     * or hand-back on drain) with the attempts to add, the error to carry and the stats counter.
     */
    private record Write(Job job, PoolQueue.Outcome outcome, int extraAttempts, String error, String counter) {
        static Write outcome(Job job, PoolQueue.Outcome outcome) {
            return new Write(job, outcome, 0, null, null);
        }

        static Write retry(Job job, String error) {
            return new Write(job, null, 1, error, StatsFields.RETRIED);
        }

        static Write handBack(Job job, boolean started, String error) {
            return new Write(job, null, started ? 1 : 0, error, StatsFields.HANDED_BACK);
        }
    }

    /**
     * The context handed to a handler; valid only while it runs. The lease scope for scratch blocks is
     * opened on the first {@link #scratch()} (most handlers never ask for one) and closed with the context.
     */
    private final class Context implements dev.reservoir.worker.handler.TaskContext {
        private final Job job;
        private final MemorySegment payload;
        /** Guarded by this (a handler may lease from helper threads): null until the first scratch(). */
        private LeaseScope scope;
        /** Guarded by this: true once the task ended. */
        private boolean closed;

        Context(Job job, MemorySegment payload) {
            this.job = job;
            this.payload = payload;
        }

        @Override
        public String taskId() {
            return job.task.id();
        }

        @Override
        public int attempt() {
            return job.attempt;
        }

        @Override
        public MemorySegment payload() {
            return payload;
        }

        @Override
        public byte[] payloadBytes() {
            return job.task.payload();
        }

        @Override
        public Block scratch() throws Exception {
            return scope().lease(config.memoryWait());
        }

        private synchronized LeaseScope scope() {
            if (scope == null) {
                String owner = job.task.handler() + " task " + job.task.id();
                if (closed) {
                    throw new IllegalStateException("lease scope '" + owner + "' is closed");
                }
                scope = memory.openScope(owner);
            }
            return scope;
        }

        /** Releases the scratch blocks still held (each reported as a leak); later scratch() calls fail. */
        synchronized void close() {
            closed = true;
            if (scope != null) {
                scope.close();
            }
        }

        @Override
        public Duration remaining() {
            return job.deadlineNanos == Long.MAX_VALUE ? Duration.ofDays(365) : Duration.ofNanos(Math.max(0, job.deadlineNanos - System.nanoTime()));
        }

        @Override
        public String workerId() {
            return config.workerId();
        }
    }

    // ---------------------------------------------------------------- completer

    private void completerLoop() {
        List<Write> batch = new ArrayList<>(COMPLETE_BATCH);
        long backoff = 100;
        while (true) {
            if (state == WorkerState.STOPPED && Thread.currentThread().isInterrupted()) {
                // stopThreads gave up waiting (Redis unreachable): these tasks stay claimed in Redis and are
                // reclaimed by other workers after the visibility timeout; nothing is lost, only delayed.
                int left = batch.size() + writes.size();
                if (left > 0) {
                    LOG.warning("stopping with " + left + " outcome(s) unwritten; their tasks stay claimed and will be"
                            + " reclaimed and run again by other workers after the visibility timeout");
                }
                return;
            }
            try {
                if (batch.isEmpty()) {
                    Write first = writes.poll(200, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        if (state == WorkerState.STOPPED) {
                            return;
                        }
                        continue;
                    }
                    batch.add(first);
                    writes.drainTo(batch, COMPLETE_BATCH - 1);
                }
                writing.lock();
                try {
                    write(batch);
                } finally {
                    writing.unlock();
                }
                batch.clear();
                backoff = 100;
            } catch (InterruptedException e) {
                if (state == WorkerState.STOPPED && writes.isEmpty() && batch.isEmpty()) {
                    return;
                }
                if (state == WorkerState.STOPPED) {
                    Thread.currentThread().interrupt(); // seen at the top of the loop: give up on what is left
                }
            } catch (JedisException e) {
                // Keep the batch: it is written once Redis is back (the tasks stay claimed meanwhile).
                metrics.redisErrors.increment();
                LOG.warning("could not write " + batch.size() + " outcome(s) (" + e.getMessage() + "); retrying in " + backoff + "ms");
                sleep(backoff);
                backoff = Math.min(2000, backoff * 2);
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "unexpected error writing outcomes; retrying", e);
                sleep(1000);
            }
        }
    }

    private void write(List<Write> batch) {
        List<Write> outcomes = new ArrayList<>(batch.size());
        try (Jedis jedis = redis.getResource()) {
            for (Write w : batch) {
                if (w.outcome() != null) {
                    outcomes.add(w);
                }
            }
            if (!outcomes.isEmpty()) {
                boolean[] written = queue.complete(jedis, config.workerId(), outcomes.stream().map(Write::outcome).toList(),
                        config.resultTtl(), REPLY_TTL, DEAD_LETTER_MAX_LEN);
                int ok = 0;
                for (int i = 0; i < written.length; i++) {
                    Write w = outcomes.get(i);
                    if (!written[i]) {
                        notWritten(jedis, w);
                    } else if (w.outcome().result().isOk()) {
                        ok++;
                    } else {
                        metrics.failed.increment();
                        failed.incrementAndGet();
                        LOG.info("task " + w.job().taskId() + " failed for good after " + w.job().attempt + " attempt(s): "
                                + w.outcome().result().errorType() + ": " + w.outcome().result().errorMessage());
                    }
                }
                if (ok > 0) {
                    metrics.ok.increment(ok);
                    completed.addAndGet(ok);
                }
            }
            for (Write w : batch) {
                if (w.outcome() == null) {
                    int moved = queue.requeue(jedis, config.workerId(), w.extraAttempts(), w.error(), w.counter(), List.of(w.job().streamId));
                    if (moved == 0) {
                        metrics.stale.increment();
                    } else if (StatsFields.RETRIED.equals(w.counter())) {
                        metrics.retried.increment();
                    } else {
                        metrics.handedBack.increment();
                    }
                }
            }
        }
        for (Write w : batch) {
            inFlight.remove(w.job().streamId);
        }
        // At once, not one by one: each release could wake the fetcher to claim a single task.
        slots.release(batch.size());
    }

    /**
     * The completion script skipped an outcome because this worker no longer owns its task. Either another
     * worker reclaimed it (this outcome is dropped: exactly one per task), or an earlier write of this very
     * outcome reached Redis and only its answer was lost (a retry then finds the task acknowledged): the
     * stored result tells which. Rare, so the extra read does not matter.
     */
    private void notWritten(Jedis jedis, Write w) {
        TaskResult stored;
        try {
            stored = queue.result(jedis, w.job().taskId());
        } catch (RuntimeException e) {
            stored = null;
        }
        TaskResult mine = w.outcome().result();
        if (alreadyWritten(stored, mine)) {
            LOG.fine("task " + w.job().taskId() + ": outcome already written by an earlier try whose answer was lost");
            if (mine.isOk()) {
                metrics.ok.increment();
                completed.incrementAndGet();
            } else {
                metrics.failed.increment();
                failed.incrementAndGet();
            }
            return;
        }
        metrics.stale.increment();
        LOG.info("task " + w.job().taskId() + " was reclaimed by another worker; this outcome was dropped");
    }

    /** Whether {@code stored} (the task's result in Redis, or null) is {@code mine}: same worker, attempt and status. */
    static boolean alreadyWritten(TaskResult stored, TaskResult mine) {
        return stored != null && stored.worker().equals(mine.worker()) && stored.attempts() == mine.attempts()
                && stored.status() == mine.status();
    }

    // ---------------------------------------------------------------- housekeeping

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

    /** Acknowledged entries are removed in bulk here rather than one XDEL per task (see complete.lua). */
    private void trimStream() {
        try (Jedis jedis = redis.getResource()) {
            queue.trim(jedis);
        } catch (RuntimeException e) {
            metrics.redisErrors.increment();
            LOG.fine("could not trim the stream: " + e.getMessage());
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

    private void publishHeartbeat() {
        try (Jedis jedis = redis.getResource()) {
            queue.heartbeat(jedis, heartbeat(), ttl());
        } catch (RuntimeException e) {
            metrics.redisErrors.increment();
            LOG.fine("could not publish heartbeat: " + e.getMessage());
        }
    }

    private Duration ttl() {
        return Duration.ofMillis(Math.max(5000, config.heartbeatInterval().toMillis() * 5));
    }

    /**
     * A memory pool snapshot at most 250 ms old: stats() takes every stripe lock, and a scrape reads
     * seven gauges. Racy on purpose: two threads may both refresh; either snapshot is fine.
     */
    private MemoryPoolStats memoryStats() {
        long now = System.nanoTime();
        MemoryPoolStats cached = lastMemoryStats;
        if (cached == null || now - lastMemoryStatsAt > 250_000_000L) {
            cached = memory.stats();
            lastMemoryStats = cached;
            lastMemoryStatsAt = now;
        }
        return cached;
    }

    private volatile MemoryPoolStats lastMemoryStats;
    private volatile long lastMemoryStatsAt;

    public Heartbeat heartbeat() {
        MemoryPoolStats m = memoryStats();
        return new Heartbeat(config.workerId(), state, config.threads(), busy.get(), inFlight.size(), completed.get(), failed.get(),
                m.blocksInUse(), m.blocksAllocated(), m.maxBlocks(), m.highWater(), hostName(), ProcessHandle.current().pid(), startedAt,
                System.currentTimeMillis(), jitMillis());
    }

    /** Total JIT compilation time of this JVM (0 where the JVM does not report it). */
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
        metrics.gauge("reservoir_worker_busy_threads", "Threads running a task", busy::get);
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

    // ---------------------------------------------------------------- drain and stop

    /** Starts a drain in the background (idempotent); used by POST /drain. */
    public void requestDrain() {
        Thread.ofPlatform().name("reservoir-drain").start(this::drainAndStop);
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
        moveTo(WorkerState.DRAINING);
        publishHeartbeat();
        LOG.info("draining: " + inFlight.size() + " task(s) in flight; no new claims");
        joinQuietly(fetcher, Duration.ofSeconds(20));
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
                writes.add(Write.handBack(job, true, ErrorTypes.WORKER_LOST + ": worker drained before the task finished (drainTimeout="
                        + config.drainTimeout().toMillis() + "ms)"));
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
        stopThreads();
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
        LOG.info("stopped: completed=" + completed.get() + " failed=" + failed.get());
        redis.close();
        memory.close();
        if (http != null) {
            http.stop();
        }
        stopped.countDown();
    }

    private void handBackQueued() {
        for (Job job : runners.takeQueued()) {
            if (job.transition(Job.State.QUEUED, Job.State.HANDED_BACK)) {
                writes.add(Write.handBack(job, false, null));
            }
        }
    }

    private void stopThreads() {
        moveTo(WorkerState.STOPPED);
        runners.stop(Duration.ofSeconds(2));
        completer.interrupt();
        joinQuietly(completer, Duration.ofSeconds(5));
        housekeeper.shutdownNow();
        // shutdownNow does not wait for a housekeeping run already under way: a heartbeat being published now
        // would land after the heartbeat is removed (drainAndStop) and show this stopped worker until it expires.
        // Bounded: a call stuck on an unresponsive Redis must not hold up the stop for its whole socket timeout.
        try {
            if (!housekeeper.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.fine("housekeeping still running after 5s (Redis slow to answer?); stopping without waiting for it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

    private void moveTo(WorkerState next) {
        WorkerState previous = state;
        state = next;
        if (previous != next) {
            LOG.fine("state " + previous + " -> " + next);
        }
    }

    private static ThreadFactory platform(String name) {
        return Thread.ofPlatform().name(name).daemon(false).factory();
    }

    private static void closeQuietly(Jedis jedis) {
        if (jedis != null) {
            try {
                jedis.close();
            } catch (RuntimeException ignored) {
                // already broken
            }
        }
    }

    private static void joinQuietly(Thread t, Duration timeout) {
        if (t == null) {
            return;
        }
        try {
            t.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
