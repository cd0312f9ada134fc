package dev.reservoir.client;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.Task;
import dev.reservoir.redis.PoolQueue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A handle on one worker pool, after Python's {@code multiprocessing.Pool}: {@link #submit} /
 * {@link #applyAsync} return futures, {@link #apply} blocks, {@link #map} / {@link #imap} run a
 * batch in order with a bound on tasks in flight, {@link #close()} refuses new tasks and
 * {@link #join()} waits for everything submitted. Thread-safe.
 *
 * <p>Futures complete on the client's reply thread: keep callbacks short, or use the
 * {@code ...Async} variants of CompletableFuture to move work elsewhere.
 *
 * <p>Lifecycle: OPEN → {@link #close()} → CLOSED (submit throws; join still waits).
 */
public final class Pool {
    private final Reservoir client;
    private final PoolKeys keys;
    private final PoolQueue queue;
    private final PoolOptions options;
    private final Router router;
    private final String replyKey;
    private final TaskRegistry registry;
    /** This handle's maxPending permits and join() count, kept by the registry. */
    private final TaskRegistry.Quota quota;
    /** Set once by close(). */
    private volatile boolean closed;

    Pool(Reservoir client, TaskRegistry registry, PoolQueue queue, PoolOptions options, Router router) {
        this.client = client;
        this.registry = registry;
        this.keys = queue.keys();
        this.queue = queue;
        this.options = options;
        this.router = router;
        this.replyKey = keys.reply(client.clientId());
        this.quota = registry.quota(options.maxPending(), options.maxPendingBytes(), queue);
    }

    public String name() {
        return keys.pool();
    }

    public PoolOptions options() {
        return options;
    }

    PoolQueue queue() {
        return queue;
    }

    /**
     * Queues a task and returns at once. The future completes with the result, or exceptionally with
     * {@link TaskFailedException} (the remote error type and message; the task is dead-lettered),
     * {@link ReservoirConnectionException}, or {@link TaskOutcomeUnknownException} when no outcome came
     * back within {@link PoolOptions#outcomeDeadline()} and none is stored. Blocks only when
     * {@code maxPending} tasks or {@code maxPendingBytes} of payloads are unanswered.
     */
    public TaskFuture submit(String handler, byte[] payload) {
        return submitTask(handler, payload, options.outcomeDeadline()).future;
    }

    private PendingTask submitTask(String handler, byte[] payload, Duration deadline) {
        PendingTask task = prepare(handler, payload, false, deadline);
        registry.admit(task);
        client.send(task);
        return task;
    }

    /**
     * Queues a task and does not wait for its outcome (fire and forget): no reply is sent to this
     * client, and the task counts against {@code maxPending} and {@link #join()} only until Redis has
     * it, so a batch of detached tasks never waits for workers. The future completes with the task id
     * once Redis accepted the task (its result is then kept by task id for the result TTL:
     * {@link #get(String)}), or exceptionally when it could not be queued.
     */
    public CompletableFuture<String> submitDetached(String handler, byte[] payload) {
        PendingTask task = prepare(handler, payload, true, options.outcomeDeadline());
        CompletableFuture<String> queued = registry.admitDetached(task);
        // Always through the submitter thread, so tasks are accepted (and their futures complete) in submission order.
        client.sendAll(List.of(task));
        return queued;
    }

    public TaskFuture submit(String handler, String payload) {
        return submit(handler, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** Same as {@link #submit(String, byte[])}, under multiprocessing's name. */
    public TaskFuture applyAsync(String handler, byte[] payload) {
        return submit(handler, payload);
    }

    public TaskFuture applyAsync(String handler, String payload) {
        return submit(handler, payload);
    }

    /** Runs a task and waits for its result, at most the pool's {@code applyTimeout}. */
    public Result apply(String handler, byte[] payload) {
        return apply(handler, payload, options.applyTimeout());
    }

    public Result apply(String handler, String payload) {
        return apply(handler, payload.getBytes(StandardCharsets.UTF_8), options.applyTimeout());
    }

    /**
     * Runs a task and waits at most {@code timeout}. Then it looks for the task's stored outcome once
     * (a reply may have been lost while the result was written) before giving up.
     *
     * @throws TaskFailedException     the task failed (remote error type and message)
     * @throws ResultTimeoutException  no outcome within {@code timeout} and none stored (a
     *                                 {@link TaskOutcomeUnknownException}: the task may still run, or
     *                                 was never sent); it is no longer counted by {@link #join()} or
     *                                 {@code maxPending}
     */
    public Result apply(String handler, byte[] payload, Duration timeout) {
        return awaitOutcome(submitTask(handler, payload, timeout));
    }

    /**
     * Waits for a task until its deadline, then expires it on this thread: a task not sent yet is never
     * sent (nobody would read its outcome), one in Redis completes with its stored outcome or fails with
     * {@link TaskOutcomeUnknownException} (it may still run, and get() finds its result later).
     */
    Result awaitOutcome(PendingTask task) {
        long left = task.deadlineNanos - System.nanoTime();
        try {
            return task.future.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            client.expire(task);
            return resultOf(task.future);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReservoirException("interrupted while waiting for a result", e);
        }
    }

    /** The outcome of a completed future: its result, or its failure thrown. */
    private static Result resultOf(CompletableFuture<Result> done) {
        try {
            return done.join();
        } catch (RuntimeException e) {
            throw unwrap(e);
        }
    }

    static RuntimeException unwrap(Throwable t) {
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof RuntimeException r ? r : new ReservoirException(t.toString(), t);
    }

    /**
     * Runs {@code handler} over every payload and returns the results in input order. Reads the input
     * lazily with at most {@link MapOptions#maxInFlight()} tasks outstanding.
     *
     * @throws TaskFailedException the first failure in input order (tasks already submitted still run)
     */
    public List<Result> map(String handler, Iterable<byte[]> payloads) {
        return map(handler, payloads, MapOptions.defaults());
    }

    public List<Result> map(String handler, Iterable<byte[]> payloads, MapOptions mapOptions) {
        List<Result> out = new ArrayList<>();
        try (ResultIterator it = imap(handler, payloads, mapOptions)) {
            while (it.hasNext()) {
                out.add(it.next());
            }
        }
        return out;
    }

    /**
     * Streams results in input order as they become available. {@code next()} throws the failure of
     * that item ({@link TaskFailedException}) and iteration may continue past it.
     */
    public ResultIterator imap(String handler, Iterable<byte[]> payloads) {
        return imap(handler, payloads, MapOptions.defaults());
    }

    public ResultIterator imap(String handler, Iterable<byte[]> payloads, MapOptions mapOptions) {
        ensureOpen();
        return new ResultIterator(this, handler, payloads.iterator(), mapOptions);
    }

    /** Submits a chunk of tasks as one batch; used by {@link ResultIterator}. */
    List<PendingTask> submitChunk(String handler, List<byte[]> payloads) {
        List<PendingTask> submitted = new ArrayList<>(payloads.size());
        List<PendingTask> batch = new ArrayList<>(payloads.size());
        try {
            for (byte[] p : payloads) {
                PendingTask t = prepare(handler, p, false, options.outcomeDeadline()); // throws once the pool is closed
                if (!registry.tryAdmit(t)) {
                    // At maxPending: send what this chunk has so far, so that its answers can free permits.
                    client.sendAll(batch);
                    batch = new ArrayList<>();
                    registry.admit(t);
                }
                submitted.add(t);
                batch.add(t);
            }
        } finally {
            // Every admitted task is sent, even when close() on another thread stops the chunk half way:
            // join() waits for admitted tasks, so an unsent one would make it wait forever.
            client.sendAll(batch);
        }
        return submitted;
    }

    /** The stored outcome of any task of this pool (kept for the result TTL), if there is one. */
    public Optional<Result> get(String taskId) {
        return Optional.ofNullable(client.withJedis("reading the result of " + taskId, jedis -> queue.result(jedis, taskId)))
                .map(Result::of);
    }

    /** Queue depth, in-flight work, dead letters, counters and live workers of this pool, read from Redis now. */
    public PoolStatus status() {
        return client.withJedis("reading the status of pool " + keys.pool(), jedis -> new PoolStatus(keys.pool(), queue.backlog(jedis),
                queue.inFlight(jedis), queue.deadLetters(jedis), queue.stats(jedis), queue.heartbeats(jedis)));
    }

    /** No new tasks through this handle; what was submitted still completes. */
    public void close() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Waits until every task submitted through this handle has completed (ok, failed or errored). */
    public void join() {
        quota.join(null);
    }

    /** Like {@link #join()}, at most {@code timeout}; returns false if tasks are still outstanding. */
    public boolean join(Duration timeout) {
        return quota.join(timeout);
    }

    /** Tasks submitted through this handle and not yet complete. */
    public long outstanding() {
        return quota.outstanding();
    }

    private PendingTask prepare(String handler, byte[] payload, boolean detached, Duration deadline) {
        ensureOpen();
        if (handler == null || handler.isBlank()) {
            throw new IllegalArgumentException("handler: must name a handler of the worker, e.g. echo");
        }
        String id = registry.nextTaskId();
        // No submitted time: workers take it from the stream id Redis assigns (docs/protocol.md), which saves
        // a field per task on the wire and in Redis.
        Task task = new Task(id, handler, payload, detached ? null : replyKey, 1, 0, options.taskTimeout().toMillis(), null);
        return new PendingTask(id, quota, router.xaddArgs(task), detached, quota.weightOf(payload.length), deadline);
    }

    private void ensureOpen() {
        client.ensureOpen();
        if (closed) {
            throw new IllegalStateException("pool handle '" + keys.pool() + "' is closed: no new tasks (join() waits for the rest)");
        }
    }
}
