package dev.reservoir.client;

import dev.reservoir.redis.RedisEndpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The one thread that writes tasks to Redis. Callers enqueue; this thread takes whatever has piled up
 * (up to {@code batch}) and sends it as one pipeline, so a lone task costs one round trip and a burst
 * costs one round trip per batch — submissions batch themselves under load without a linger delay.
 *
 * A lone task (nothing else outstanding) is sent by its caller directly, saving a thread hand-off
 * on the latency path.
 *
 * <p>Lifecycle: RUNNING → (stop) DRAINING: sends what is queued → STOPPED. A broken connection fails
 * the batch in hand (those tasks may or may not have reached Redis) and the next batch reconnects.
 */
final class Submitter implements Runnable {
    private static final Logger LOG = Logger.getLogger(Submitter.class.getName());

    private final RedisEndpoint endpoint;
    private final String clientName;
    private final int batch;
    private final LinkedBlockingQueue<PendingTask> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Set once by {@link #stop()}; read by the submitter thread. */
    private volatile boolean stopping;
    /** The connection and its state; used by the submitter thread and by callers sending a lone task directly. Guarded by connectionLock. */
    private Jedis connection;
    private final java.util.concurrent.locks.ReentrantLock connectionLock = new java.util.concurrent.locks.ReentrantLock();

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
     * free) is sent on the caller's thread, saving a thread hand-off on the latency path; anything
     * else goes through the queue so that bursts batch up.
     */
    void enqueue(PendingTask task, boolean lone) {
        if (lone && queue.isEmpty() && !stopping && connectionLock.tryLock()) {
            try {
                send(List.of(task));
            } catch (RuntimeException e) {
                task.future.fail(new ReservoirException("could not submit: " + e, e));
            } finally {
                connectionLock.unlock();
            }
            return;
        }
        queue.add(task);
    }

    void enqueueAll(List<PendingTask> tasks) {
        queue.addAll(tasks);
    }

    @Override
    public void run() {
        List<PendingTask> inHand = new ArrayList<>(batch);
        while (true) {
            try {
                PendingTask first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (stopping && queue.isEmpty()) {
                        break;
                    }
                    continue;
                }
                inHand.add(first);
                queue.drainTo(inHand, batch - 1);
                connectionLock.lock();
                try {
                    send(inHand);
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
        List<PendingTask> left = new ArrayList<>();
        queue.drainTo(left);
        failAll(left, new ReservoirException("client closed before the task was sent; it was not submitted"));
        connectionLock.lock();
        try {
            closeConnection();
        } finally {
            connectionLock.unlock();
        }
    }

    private void send(List<PendingTask> tasks) {
        try {
            if (connection == null) {
                connection = endpoint.connect(clientName + "-submit", Duration.ofSeconds(10));
            }
            if (tasks.size() == 1) {
                // A lone task (the latency path): a plain command, no pipeline bookkeeping.
                PendingTask t = tasks.getFirst();
                try {
                    connection.sendCommand(Protocol.Command.XADD, t.xaddArgs);
                    t.future.markAccepted();
                } catch (JedisDataException e) {
                    t.future.fail(new ReservoirException("Redis refused task " + t.taskId + ": " + e.getMessage(), e));
                }
                return;
            }
            Pipeline pipeline = connection.pipelined();
            List<Response<Object>> replies = new ArrayList<>(tasks.size());
            for (PendingTask t : tasks) {
                replies.add(pipeline.sendCommand(Protocol.Command.XADD, t.xaddArgs));
            }
            pipeline.sync();
            for (int i = 0; i < tasks.size(); i++) {
                PendingTask t = tasks.get(i);
                try {
                    replies.get(i).get();
                    t.future.markAccepted();
                } catch (JedisDataException e) {
                    t.future.fail(new ReservoirException("Redis refused task " + t.taskId + ": " + e.getMessage(), e));
                }
            }
        } catch (JedisConnectionException e) {
            closeConnection();
            failAll(tasks, new ReservoirConnectionException("lost the connection to Redis at " + endpoint
                    + " while submitting; the task may or may not have been queued: check with get(taskId) or resubmit ("
                    + e.getMessage() + ")", e));
        }
    }

    private static void failAll(List<PendingTask> tasks, RuntimeException error) {
        for (PendingTask t : tasks) {
            t.future.fail(error);
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (RuntimeException ignored) {
                // already broken
            }
            connection = null;
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
