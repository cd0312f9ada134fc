package dev.reservoir.worker;

import dev.reservoir.protocol.ReplyStreams;
import dev.reservoir.protocol.StatsFields;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.WorkerState;
import dev.reservoir.redis.PoolQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The worker's "complete" room: writes what became of each claimed task (an outcome, or a requeue for a
 * retry or a hand-back) and only then gives its claim slot back.
 *
 * <p>One thread, the completer, writes the queued writes in batches of up to {@link #BATCH}: one script
 * call writes a batch's outcomes and acknowledges their tasks atomically. A lone outcome (nothing else
 * to write, nothing queued to run) is written by the thread that produced it instead ({@link #finish}):
 * waking the completer would add a thread hand-off to every round trip of a lightly loaded pool.
 *
 * <p>Failures: a Redis error keeps the batch, which is retried with jittered backoff (the tasks stay
 * claimed meanwhile) and makes the worker unready ({@link RedisHealth}); a batch that a Redis which still
 * renews claims (full: OOM) refuses for {@link #giveUpNanos} is given up ({@link #giveUp}); an unexpected RuntimeException is logged and the batch retried; anything else ends the
 * thread and goes to the worker's fatal-error policy (its thread factory's uncaught-exception handler).
 * A failed lone write is left to the completer.
 *
 * <p>Invariant: a job leaves {@code inFlight} and its slot is released only after its write reached
 * Redis (or was found to be stale there).
 */
final class Completer {
    private static final Logger LOG = Logger.getLogger(Completer.class.getName());
    static final int BATCH = 256;

    private final WorkerConfig config;
    private final PoolQueue queue;
    private final JedisPool redis;
    private final Lifecycle lifecycle;
    private final WorkerMetrics metrics;
    /** Shared with the fetcher (which adds) and the housekeeper; this room removes a job once it is written. */
    private final Map<String, Job> inFlight;
    /** Shared with the fetcher (which takes them); this room gives them back once the writes are done. */
    private final Semaphore slots;
    /** Read for the lone-outcome shortcut: taken only when nothing is queued to run. */
    private final RunnerPool<Job> runners;
    /** Writes waiting for the completer thread; any thread adds. */
    private final LinkedBlockingQueue<Write> writes = new LinkedBlockingQueue<>();
    /** Held while writing: by the completer, or by a thread writing a lone outcome itself. */
    private final ReentrantLock writing = new ReentrantLock();
    /** Outcomes written OK / failed for good (heartbeat figures); atomic: either writing thread counts. */
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** Shared with the other rooms: this one reports its writes' failures and successes there. */
    private final RedisHealth health;
    private final Thread thread;

    Completer(WorkerConfig config, PoolQueue queue, JedisPool redis, Lifecycle lifecycle, WorkerMetrics metrics, Map<String, Job> inFlight,
            Semaphore slots, RunnerPool<Job> runners, RedisHealth health, ThreadFactory threads) {
        this.health = health;
        this.config = config;
        this.queue = queue;
        this.redis = redis;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.inFlight = inFlight;
        this.slots = slots;
        this.runners = runners;
        this.thread = threads.newThread(this::loop);
    }

    void start() {
        thread.start();
    }

    /**
     * Ends the completer thread once the worker is STOPPED, waiting up to {@code wait} for a write under way.
     * What is still queued then is not written: its tasks stay claimed and are reclaimed after the
     * visibility timeout (the drain flushes before it stops the rooms).
     */
    void stop(Duration wait) {
        thread.interrupt();
        try {
            thread.join(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    long completed() {
        return completed.get();
    }

    long failed() {
        return failed.get();
    }

    /** Queues a write for the completer thread. */
    void enqueue(Write write) {
        writes.add(write);
    }

    /** Writes a job's outcome: now on this thread when it is the only write, else queued for the completer. */
    void finish(Job job, PoolQueue.Outcome outcome) {
        Write write = Write.outcome(job, outcome);
        if (writes.isEmpty() && runners.queued() == 0 && writing.tryLock()) {
            try {
                write(List.of(write));
                return;
            } catch (RuntimeException e) {
                metrics.redisErrors.increment(); // the completer retries it, with backoff
            } finally {
                writing.unlock();
            }
        }
        writes.add(write);
    }

    private void loop() {
        List<Write> batch = new ArrayList<>(BATCH);
        Backoff backoff = new Backoff(100, 2000);
        long failingSince = 0; // System.nanoTime() of the batch's first failed write in a row, 0 while writes go through
        while (true) {
            if (lifecycle.state() == WorkerState.STOPPED && Thread.currentThread().isInterrupted()) {
                // stop() gave up waiting (Redis unreachable): these tasks stay claimed in Redis and are
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
                        if (lifecycle.state() == WorkerState.STOPPED) {
                            return;
                        }
                        continue;
                    }
                    batch.add(first);
                    writes.drainTo(batch, BATCH - 1);
                }
                writing.lock();
                try {
                    write(batch);
                } finally {
                    writing.unlock();
                }
                batch.clear();
                backoff.reset();
                failingSince = 0;
            } catch (InterruptedException e) {
                if (lifecycle.state() == WorkerState.STOPPED && writes.isEmpty() && batch.isEmpty()) {
                    return;
                }
                if (lifecycle.state() == WorkerState.STOPPED) {
                    Thread.currentThread().interrupt(); // seen at the top of the loop: give up on what is left
                }
            } catch (JedisException e) {
                // Keep the batch: it is written once Redis is back (the tasks stay claimed meanwhile).
                metrics.redisErrors.increment();
                RedisHealth.Problem problem = health.failed(RedisHealth.Room.WRITE, e, config.redis().toString());
                long now = System.nanoTime();
                if (failingSince == 0) {
                    failingSince = now;
                } else if (problem.renewalsStillWork() && now - failingSince > giveUpNanos()) {
                    giveUp(batch, problem);
                    batch.clear();
                    failingSince = 0;
                }
                backoff.sleep();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "unexpected error writing outcomes; retrying", e);
                backoff.sleep();
            }
        }
    }

    /** Caller holds {@link #writing}. */
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
                        config.retention().resultTtl(), ReplyStreams.TTL, config.retention().maxDeadLetters());
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
        health.ok(RedisHealth.Room.WRITE);
        for (Write w : batch) {
            inFlight.remove(w.job().streamId);
        }
        // At once, not one by one: each release could wake the fetcher to claim a single task.
        slots.release(batch.size());
    }

    /**
     * How long a batch may be refused by a Redis that still renews its claims (full, or an error that is
     * not the connection's) before it is given up: {@code max(1 min, 10 × visibilityTimeout)}. Renewing a
     * claim whose outcome can never be written would hold its task here for ever.
     */
    private long giveUpNanos() {
        return Math.max(TimeUnit.MINUTES.toNanos(1), config.visibilityTimeout().toNanos() * 10);
    }

    /**
     * Drops writes Redis has refused for {@link #giveUpNanos}: their jobs leave {@code inFlight}, so their
     * claims are no longer renewed, and after the visibility timeout a worker reclaims and runs them again
     * (the delivery counts as an attempt, so a task that can never be written ends after maxAttempts).
     * Nothing is lost: each task stays pending in Redis until an outcome for it is written.
     */
    private void giveUp(List<Write> batch, RedisHealth.Problem problem) {
        LOG.warning("gave up writing " + batch.size() + " outcome(s) after " + TimeUnit.NANOSECONDS.toSeconds(giveUpNanos()) + "s ("
                + problem.description + "): stopped renewing their claims, so they are reclaimed and run again after the"
                + " visibility timeout once Redis takes writes");
        for (Write w : batch) {
            inFlight.remove(w.job().streamId);
        }
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

    /**
     * What the completer must write for a job: an outcome, or a requeue (retry after a failed attempt,
     * or hand-back on drain) with the attempts to add, the error to carry and the stats counter.
     */
    record Write(Job job, PoolQueue.Outcome outcome, int extraAttempts, String error, String counter) {
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
}
