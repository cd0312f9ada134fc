package dev.reservoir.worker;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.MalformedEntryException;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskFields;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.WorkerState;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.StreamEntry;
import dev.reservoir.worker.handler.HandlerRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The worker's "claim" room: one thread that claims tasks from the pool's shared stream (blocking
 * XREADGROUP on a connection of its own; also reclaims tasks other workers left idle) and hands them
 * to the runners.
 *
 * <p>It claims while the lifecycle allows it ({@link Lifecycle#claiming}), and at most as many tasks as
 * it holds free claim slots, minus the prefetch that {@link PrefetchBound} does not allow now (those
 * slots are withheld). Each claimed task holds one slot until the {@link Completer} wrote what became of it.
 * A task that cannot run (malformed, unknown handler, payload too large, attempts used up) is failed at once.
 *
 * <p>Failures: any Redis error makes the worker unready ({@link RedisHealth}, which logs once per change)
 * and is retried with jittered backoff (100 ms to 2 s); a lost connection or a Redis that refuses the
 * connection's server ({@code READONLY}: demoted to replica; {@code LOADING}; {@code NOAUTH}) is retried on
 * a new connection, since the address may lead to another server by now; a lost consumer group is
 * recreated; unexpected RuntimeExceptions are logged and retried. While Redis refuses this worker's
 * writes because it is full, it claims nothing (the outcomes could not be written). Whatever
 * else it meets ends the thread and goes to the worker's fatal-error policy (its thread factory's
 * uncaught-exception handler). Each path gives back the slots of the claim that failed.
 */
final class Fetcher {
    private static final Logger LOG = Logger.getLogger(Fetcher.class.getName());
    /**
     * Bytes of an oversized payload its dead letter keeps: enough to recognise it, where a copy would put
     * the very bytes that were too large back into Redis (and the dead-letter stream keeps 100,000 entries).
     */
    static final int DEAD_LETTER_PAYLOAD_PREFIX = 1024;

    private final WorkerConfig config;
    private final PoolQueue queue;
    private final Lifecycle lifecycle;
    private final WorkerMetrics metrics;
    private final HandlerRegistry handlers;
    /** Shared with the completer, which gives a slot back once a task's write is done. */
    private final Semaphore slots;
    private final PrefetchBound prefetchBound;
    private final RunnerPool<Job> runners;
    /** Shared: this room adds each claimed job; the completer removes it once written. */
    private final Map<String, Job> inFlight;
    private final Completer completer;
    /** Shared with the other rooms: this one reports its claims' failures and successes there. */
    private final RedisHealth health;
    /** Starts the drain of a worker that claimed maxTasksPerWorker tasks (on a thread of its own). */
    private final Runnable recycle;
    private final Thread thread;
    /** Claimed jobs not yet handed to the runners (see sendClaimAhead). Fetcher thread only. */
    private final List<Job> ready = new ArrayList<>();
    /** Slots kept out of use while the effective prefetch is below the configured one. Fetcher thread only. */
    private int withheld;
    /** Tasks claimed since start (for maxTasksPerWorker). Fetcher thread only. */
    private long claimed;
    /** Where the next reclaim goes on in the group's pending list, so successive reclaims walk all of it. Fetcher thread only. */
    private String reclaimCursor = PoolQueue.Reclaimed.START;
    /** True while the last Redis call succeeded (readiness). Written by the fetcher thread only; volatile for readers. */
    private volatile boolean consuming;

    Fetcher(WorkerConfig config, PoolQueue queue, Lifecycle lifecycle, WorkerMetrics metrics, HandlerRegistry handlers, Semaphore slots,
            PrefetchBound prefetchBound, RunnerPool<Job> runners, Map<String, Job> inFlight, Completer completer, RedisHealth health,
            Runnable recycle, ThreadFactory threads) {
        this.health = health;
        this.config = config;
        this.queue = queue;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.handlers = handlers;
        this.slots = slots;
        this.prefetchBound = prefetchBound;
        this.runners = runners;
        this.inFlight = inFlight;
        this.completer = completer;
        this.recycle = recycle;
        this.thread = threads.newThread(this::loop);
    }

    void start() {
        thread.start();
    }

    /** Waits, bounded, for the fetcher to end once the lifecycle stopped it claiming. */
    void awaitEnd(Duration timeout) {
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean consuming() {
        return consuming;
    }

    private void loop() {
        Jedis jedis = null;
        int readAhead = 0; // permits of a claim sent ahead whose answer is still to be read
        Backoff backoff = new Backoff(100, 2000);
        long lastReclaim = 0;
        long reclaimEvery = Math.max(100, config.visibilityTimeout().toMillis() / 2);
        while (lifecycle.claiming()) {
            int permits = 0;
            try {
                if (jedis == null) {
                    jedis = config.redis().connectFlushing("reservoir-fetch-" + config.workerId(), Duration.ofSeconds(15));
                    queue.ensureGroup(jedis);
                    String memoryProblem = queue.redisMemoryProblem(jedis); // docs/operations.md, "Full Redis"
                    if (memoryProblem != null) {
                        LOG.warning(memoryProblem);
                    }
                    if (!lifecycle.advanceTo(WorkerState.RUNNING) && lifecycle.state() != WorkerState.RUNNING) {
                        continue; // a drain began during start-up: the loop's check ends claiming
                    }
                    if (!consuming) {
                        LOG.info("consuming from " + queue.keys().tasks() + " at " + config.redis());
                    }
                    consuming = true;
                    backoff.reset();
                }
                List<StreamEntry> entries;
                if (readAhead > 0) {
                    // the next read went out before the last claims were handed over: its answer
                    permits = readAhead;
                    readAhead = 0;
                    entries = queue.readAnswer(jedis);
                } else {
                    if (config.maxTasksPerWorker() > 0 && claimed >= config.maxTasksPerWorker()) {
                        LOG.info("claimed maxTasksPerWorker=" + config.maxTasksPerWorker() + " tasks: draining so this worker can be replaced");
                        recycle.run();
                        break;
                    }
                    if (health.full()) {
                        // claims now would only add outcomes Redis cannot take; the housekeeper's heartbeat and the
                        // completer's retries find out when it has room again
                        Worker.sleep(200);
                        continue;
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
                        long left = config.maxTasksPerWorker() - claimed;
                        if (permits > left) {
                            slots.release((int) (permits - left));
                            permits = (int) left;
                        }
                    }
                    long now = System.currentTimeMillis();
                    if (now - lastReclaim >= reclaimEvery) {
                        lastReclaim = now;
                        PoolQueue.Reclaimed reclaimed = queue.reclaim(jedis, config.workerId(), config.visibilityTimeout(), permits,
                                reclaimCursor);
                        reclaimCursor = reclaimed.cursor();
                        entries = reclaimed.entries();
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
                health.ok(RedisHealth.Room.CLAIM);
                try {
                    readAhead = sendClaimAhead(jedis, lastReclaim, reclaimEvery);
                } finally {
                    dispatchReady();
                }
            } catch (InterruptedException e) {
                dispatchReady();
                slots.release(permits);
                break;
            } catch (JedisConnectionException | JedisDataException e) {
                dispatchReady();
                slots.release(permits + readAhead);
                metrics.redisErrors.increment();
                RuntimeException failure = e;
                if (jedis != null && e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                    LOG.warning("the stream or its consumer group is gone (Redis lost its data?); recreating it");
                    try {
                        queue.ensureGroup(jedis);
                        continue;
                    } catch (RuntimeException again) {
                        failure = again;
                    }
                }
                consuming = false;
                RedisHealth.Problem problem = health.failed(RedisHealth.Room.CLAIM, failure, config.redis().toString());
                if (problem.reconnect() || readAhead > 0) {
                    // the address may lead to another server now (a failover, a restart); a read sent ahead went with it
                    // (whatever it claimed is reclaimed after the visibility timeout)
                    readAhead = 0;
                    closeQuietly(jedis);
                    jedis = null;
                }
                backoff.sleep();
            } catch (RuntimeException e) {
                dispatchReady();
                slots.release(permits);
                LOG.log(Level.SEVERE, "unexpected error in the fetcher; retrying", e);
                Worker.sleep(500 + java.util.concurrent.ThreadLocalRandom.current().nextLong(501));
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
     * instead of waiting for the fetcher to build and send the read. Returns the permits of the read sent, or 0.
     */
    private int sendClaimAhead(Jedis jedis, long lastReclaim, long reclaimEvery) {
        if (ready.isEmpty() || lifecycle.state() != WorkerState.RUNNING || System.currentTimeMillis() - lastReclaim >= reclaimEvery
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

    /** Turns a claimed entry into a job: ready for a runner, or finished at once when it cannot run. */
    private void accept(StreamEntry entry) {
        claimed++;
        Task task;
        try {
            task = Task.fromFields(entry.fields());
        } catch (MalformedEntryException e) {
            Job job = new Job(entry.id(), null, 1, 0);
            job.transition(Job.State.QUEUED, Job.State.FINISHED);
            inFlight.put(job.streamId, job);
            String id = entry.text(TaskFields.ID);
            String reply = entry.text(TaskFields.REPLY);
            String handler = entry.text(TaskFields.HANDLER);
            LOG.warning("malformed task entry " + entry.id() + ": " + e.getMessage() + "; dead-lettered");
            TaskResult result = TaskResult.failed(id != null && !id.isEmpty() && id.length() <= 200 ? id : entry.id(),
                    ErrorTypes.MALFORMED_TASK, "stream entry " + entry.id() + ": " + e.getMessage() + " (see docs/protocol.md)", 1,
                    config.workerId(), 0);
            completer.finish(job, new PoolQueue.Outcome(entry.id(), result, reply, handler, entry.fields().get(TaskFields.PAYLOAD)));
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
                    + config.blockSize() + " bytes; raise memoryPool.blockSize or pass a reference to the data instead (the dead letter keeps"
                    + " its first " + DEAD_LETTER_PAYLOAD_PREFIX + " bytes)", java.util.Arrays.copyOf(task.payload(), DEAD_LETTER_PAYLOAD_PREFIX));
            return;
        }
        ready.add(job);
    }

    private void failNow(Job job, String type, String message) {
        failNow(job, type, message, job.task.payload());
    }

    /** @param deadLetterPayload what the dead letter keeps of the payload */
    private void failNow(Job job, String type, String message, byte[] deadLetterPayload) {
        job.transition(Job.State.QUEUED, Job.State.FINISHED);
        TaskResult result = TaskResult.failed(job.taskId(), type, message, job.attempt, config.workerId(), 0);
        completer.finish(job, new PoolQueue.Outcome(job.streamId, result, job.task.replyTo(), job.task.handler(), deadLetterPayload));
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
}
