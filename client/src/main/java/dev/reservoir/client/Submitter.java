package dev.reservoir.client;

import dev.reservoir.redis.RedisEndpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Writes the client's tasks to Redis: pipelined {@code XADD}s (arguments from
 * {@code PoolQueue.xaddArgs}) on one connection of its own, by one submitter thread. Callers hand
 * over batches (a submit is a batch of one, an imap chunk one batch); the thread takes whatever has
 * piled up and sends it as one pipeline, adding whole batches while it holds fewer than
 * {@code batch} tasks (a batch is never split). So a lone task costs one round trip and a burst one
 * round trip per pipeline: submissions batch themselves under load without a linger delay.
 *
 * <p>The one exception: a lone task (no other task of the client awaits an outcome, nothing is
 * queued, the connection is open and free) is sent by its caller on the caller's thread, saving a
 * thread hand-off on the latency path. Either way the connection is used only under
 * {@code connectionLock}. Callers never connect: only the submitter thread does, without holding the
 * lock while it waits for Redis, so a Redis that is slow to accept connections never stalls a caller.
 *
 * <p>Every task handed over is sent or failed, never left: Redis's refusal of one fails that task; a
 * broken connection fails the pipeline in hand (those tasks may or may not have reached Redis) and
 * the next one reconnects; a failed connect fails the pipeline in hand (not queued). A task cancelled
 * before it is taken is skipped (never sent).
 *
 * <p>Lifecycle: RUNNING → ({@link #stop}) DRAINING: sends what is queued → STOPPED: fails what is
 * still handed over after that, at once.
 */
final class Submitter implements Runnable {
    private static final Logger LOG = Logger.getLogger(Submitter.class.getName());

    private final RedisEndpoint endpoint;
    private final String clientName;
    private final int batch;
    /** Batches handed over by callers, oldest first. */
    private final LinkedBlockingQueue<List<PendingTask>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Set once by {@link #stop()}; read by the submitter thread and by callers. */
    private volatile boolean stopping;
    /** Set once by the submitter thread when it has drained the queue for the last time: callers fail what they hand over after. */
    private volatile boolean stopped;
    /**
     * The open connection, or null. Opened only by the submitter thread; set, used and dropped (when it
     * breaks) under connectionLock, by the submitter thread and by callers sending a lone task. Volatile
     * so a caller can see "not connected" without taking the lock.
     */
    private volatile Jedis connection;
    private final ReentrantLock connectionLock = new ReentrantLock();

    Submitter(RedisEndpoint endpoint, String clientName, int batch) {
        this.endpoint = endpoint;
        this.clientName = clientName;
        this.batch = batch;
        this.thread = Thread.ofPlatform().daemon().name("reservoir-submitter-" + clientName).unstarted(this);
    }

    void start() {
        thread.start();
    }

    /**
     * Sends a task. A lone task (nothing else outstanding in the client, nothing queued, connection
     * open and free) is sent on the caller's thread, saving a thread hand-off on the latency path;
     * anything else goes through the queue so that bursts batch up.
     */
    void enqueue(PendingTask task, boolean lone) {
        if (lone && queue.isEmpty() && !stopping && connection != null && connectionLock.tryLock()) {
            try {
                if (connection != null) {
                    sendLocked(List.of(task));
                    return;
                }
            } catch (RuntimeException e) {
                task.future.fail(new ReservoirException("could not submit: " + e, e));
                return;
            } finally {
                connectionLock.unlock();
            }
        }
        queue.add(List.of(task));
        failIfStopped();
    }

    void enqueueAll(List<PendingTask> tasks) {
        if (!tasks.isEmpty()) {
            queue.add(tasks);
            failIfStopped();
        }
    }

    /**
     * A caller racing the client's close can hand over a batch after the thread drained the queue for
     * the last time; nobody would send or fail it. The thread sets {@link #stopped} before that last
     * drain, so such a caller sees it and drains the queue itself (each batch is polled by one drainer only).
     */
    private void failIfStopped() {
        if (stopped) {
            failQueued();
        }
    }

    private void failQueued() {
        List<PendingTask> batchOfLeft;
        while ((batchOfLeft = queue.poll()) != null) {
            failAll(batchOfLeft, new ReservoirException("client closed before the task was sent; it was not submitted"));
        }
    }

    @Override
    public void run() {
        List<PendingTask> inHand = new ArrayList<>(batch);
        while (true) {
            try {
                List<PendingTask> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (stopping && queue.isEmpty()) {
                        break;
                    }
                    continue;
                }
                inHand.addAll(first);
                List<PendingTask> more;
                while (inHand.size() < batch && (more = queue.poll()) != null) {
                    inHand.addAll(more);
                }
                if (connection == null && !connect(inHand)) {
                    continue;
                }
                connectionLock.lock();
                try {
                    sendLocked(inHand);
                } finally {
                    connectionLock.unlock();
                }
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "submitter: unexpected error", e);
                failAll(inHand, new ReservoirException("could not submit: " + e, e));
            } finally {
                inHand.clear();
            }
        }
        stopped = true;
        failQueued();
        connectionLock.lock();
        try {
            closeConnection();
        } finally {
            connectionLock.unlock();
        }
    }

    /** Connects (outside the lock: callers seeing no connection queue their tasks); on failure fails {@code tasks}. */
    private boolean connect(List<PendingTask> tasks) {
        Jedis fresh;
        try {
            fresh = endpoint.connect(clientName + "-submit", Duration.ofSeconds(10));
            fresh.ping(); // Jedis connects lazily: make a refused or timed-out connect show up here
        } catch (JedisConnectionException e) {
            failAll(tasks, new ReservoirConnectionException("cannot reach Redis at " + endpoint + " to submit (" + Reservoir.rootMessage(e)
                    + "): the task was not queued; check that Redis is up, then resubmit", e));
            return false;
        }
        connectionLock.lock();
        try {
            connection = fresh;
        } finally {
            connectionLock.unlock();
        }
        return true;
    }

    /** Sends {@code tasks} (skipping any cancelled before they were taken) on the open connection. Call with connectionLock held. */
    private void sendLocked(List<PendingTask> tasks) {
        List<PendingTask> sending = new ArrayList<>(tasks.size());
        for (PendingTask t : tasks) {
            if (t.claimForSend()) {
                sending.add(t);
            }
        }
        if (sending.isEmpty()) {
            return;
        }
        try {
            Connection c = connection.getConnection();
            for (PendingTask t : sending) {
                c.sendCommand(Protocol.Command.XADD, t.xaddArgs);
            }
            // One flush and one read pass for the whole batch; Redis's refusals come back as exceptions in the list.
            List<Object> replies = c.getMany(sending.size());
            for (int i = 0; i < sending.size(); i++) {
                PendingTask t = sending.get(i);
                if (replies.get(i) instanceof JedisDataException e) {
                    t.future.fail(new ReservoirException("Redis refused task " + t.taskId + ": " + e.getMessage(), e));
                } else {
                    t.future.markAccepted();
                }
            }
        } catch (JedisConnectionException e) {
            closeConnection();
            failAll(sending, new ReservoirConnectionException("lost the connection to Redis at " + endpoint
                    + " while submitting; the task may or may not have been queued: check with get(taskId) or resubmit ("
                    + e.getMessage() + ")", e));
        }
    }

    private static void failAll(List<PendingTask> tasks, RuntimeException error) {
        for (PendingTask t : tasks) {
            t.future.fail(error);
        }
    }

    /** Call with connectionLock held. */
    private void closeConnection() {
        Jedis c = connection;
        if (c != null) {
            connection = null;
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // already broken
            }
        }
    }

    /** Sends what is queued, then stops. */
    void stop() {
        stopping = true;
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
