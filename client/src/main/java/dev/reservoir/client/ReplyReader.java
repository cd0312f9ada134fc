package dev.reservoir.client;

import static dev.reservoir.redis.Replies.b;

import dev.reservoir.protocol.MalformedEntryException;
import dev.reservoir.protocol.ReplyStreams;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.FlushingConnection;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.redis.Replies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The one thread per client that reads outcomes: a blocking {@code XREAD} over the client's reply
 * streams (one per pool) on its own connection, decoding each outcome ({@code TaskResult.decode}) and
 * handing it to {@code deliver}; a malformed outcome is logged and skipped, the others of its entry
 * still delivered. No thread or connection per task. The reply streams' format is docs/protocol.md's;
 * this class reads and trims them itself, outside {@code PoolQueue}, so that the next read is sent
 * before the outcomes are delivered.
 *
 * <p>The read position of each stream lives here, so a broken connection loses nothing: the reader
 * reconnects and reads on from where it was (reply streams outlive a short outage; workers also keep
 * each result by task id). When Redis has been unreachable for longer than {@code reconnectGrace},
 * it calls {@code onOutage} once per outage, which fails the futures then waiting with a clear error;
 * it keeps reconnecting, and tasks submitted after Redis is back are read as usual. After each
 * reconnect it calls {@code onReconnect}: a Redis that restarted without persistence, or a failover,
 * may have lost reply entries whose outcomes are still stored by task id.
 *
 * <p>Once {@value #TRIM_EVERY} or more entries have been read from a stream since its last trim, it
 * trims the entries before the last one read ({@code XTRIM MINID}), so a long run does not grow Redis
 * memory. While it reads a stream it renews the stream's TTL ({@link ReplyStreams#RENEW_EVERY}):
 * workers set it only when they create the stream, so that the stream of a client that went away
 * expires (docs/protocol.md).
 *
 * <p>Lifecycle: RUNNING ⇄ RECONNECTING → ({@link #stop}) STOPPED.
 */
final class ReplyReader implements Runnable {
    private static final Logger LOG = Logger.getLogger(ReplyReader.class.getName());
    /** Entries per read; each entry carries the outcomes of one worker batch (up to a few hundred). */
    private static final int COUNT = 100;
    private static final Duration BLOCK = Duration.ofSeconds(1);
    private static final int TRIM_EVERY = 200;

    private final RedisEndpoint endpoint;
    private final String clientName;
    private final Duration reconnectGrace;
    private final Consumer<TaskResult> deliver;
    private final Consumer<ReservoirConnectionException> onOutage;
    /** Called after each reconnect that follows a lost connection: outcomes may have been lost with it. */
    private final Runnable onReconnect;
    /** Reply stream key → last id read. Keys are added by any thread; ids are written only by the reader thread. */
    private final Map<String, String> streams = new ConcurrentHashMap<>();
    private final Thread thread;
    /** Set once by {@link #stop()}. */
    private volatile boolean stopping;
    /** Redis CLIENT ID of the reader's connection, so another connection can interrupt its blocking read (−1: none). */
    private volatile long redisClientId = -1;
    /** Confined to the reader thread. */
    private Jedis connection;
    /** Confined to the reader thread: an XREAD was sent and its answer is not read yet. */
    private boolean readPending;
    /** Confined to the reader thread: entries read since the last trim, per stream. */
    private final Map<String, Integer> sinceTrim = new HashMap<>();
    /** Confined to the reader thread: when each stream's TTL was last renewed (System.nanoTime()). */
    private final Map<String, Long> renewedAt = new HashMap<>();

    ReplyReader(RedisEndpoint endpoint, String clientName, Duration reconnectGrace, Consumer<TaskResult> deliver,
                Consumer<ReservoirConnectionException> onOutage, Runnable onReconnect) {
        this.endpoint = endpoint;
        this.clientName = clientName;
        this.reconnectGrace = reconnectGrace;
        this.deliver = deliver;
        this.onOutage = onOutage;
        this.onReconnect = onReconnect;
        this.thread = Thread.ofPlatform().daemon().name("reservoir-replies-" + clientName).unstarted(this);
    }

    void start() {
        thread.start();
    }

    /** Adds a reply stream; returns true when it was new (the caller then wakes the reader). */
    boolean watch(String replyKey) {
        return streams.putIfAbsent(replyKey, "0-0") == null;
    }

    long redisClientId() {
        return redisClientId;
    }

    List<String> replyKeys() {
        return List.copyOf(streams.keySet());
    }

    @Override
    public void run() {
        long downSince = 0;
        boolean outageReported = false;
        while (!stopping) {
            try {
                if (connection == null) {
                    connection = endpoint.connectFlushing(clientName + "-replies", Duration.ofSeconds(10));
                    redisClientId = connection.clientId();
                    if (downSince != 0) {
                        LOG.info("reconnected to Redis at " + endpoint + "; reading replies on from where it stopped");
                        onReconnect.run();
                    }
                    downSince = 0;
                    outageReported = false;
                }
                readOnce();
            } catch (JedisConnectionException e) {
                closeConnection();
                if (stopping) {
                    break;
                }
                long now = System.nanoTime();
                if (downSince == 0) {
                    downSince = now;
                    LOG.warning("lost the reply connection to Redis at " + endpoint + " (" + e.getMessage() + "); reconnecting");
                } else if (!outageReported && now - downSince > reconnectGrace.toNanos()) {
                    outageReported = true;
                    onOutage.accept(new ReservoirConnectionException("Redis at " + endpoint + " has been unreachable for "
                            + reconnectGrace.toSeconds() + " s; tasks Redis accepted are still queued and their results are"
                            + " kept by task id: fetch them with get(taskId) once Redis is back", e));
                }
                sleep(200);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "reply reader: unexpected error", e);
                sleep(200);
            }
        }
        closeConnection();
    }

    private void readOnce() {
        if (!readPending) {
            if (streams.isEmpty()) {
                sleep(20);
                return;
            }
            sendRead();
        }
        readPending = false;
        // Not a blocking command in Jedis's sense (that lifts the socket timeout, and a peer gone silent, no
        // RST, would hang the reader for ever): BLOCK is 1 s and the socket timeout 10 s, so a dead link shows
        // up as a timeout within 10 s and the reader reconnects.
        Object reply = connection.getConnection().getOne();
        if (reply == null) {
            return; // timed out, or woken to pick up a new stream
        }
        List<TaskResult> results = new ArrayList<>();
        for (Object s : (List<?>) reply) {
            List<?> stream = (List<?>) s;
            String key = Replies.text(stream.get(0));
            String last = null;
            int n = 0;
            for (Object raw : (List<?>) stream.get(1)) {
                // One entry per batch a worker completed: field = task id, value = encoded outcome.
                List<?> entry = (List<?>) raw;
                last = Replies.text(entry.get(0));
                n++;
                if (!(entry.get(1) instanceof List<?> fields)) {
                    continue;
                }
                for (int i = 0; i + 1 < fields.size(); i += 2) {
                    String taskId = Replies.text(fields.get(i));
                    try {
                        results.add(TaskResult.decode(taskId, (byte[]) fields.get(i + 1)));
                    } catch (MalformedEntryException e) {
                        LOG.warning("ignoring a malformed outcome in reply entry " + last + " of " + key + ": " + e.getMessage());
                    }
                }
            }
            if (last != null) {
                streams.put(key, last);
                int count = sinceTrim.merge(key, n, Integer::sum);
                if (count >= TRIM_EVERY) {
                    // Entries older than the last one read are done with: drop them (keeps the last).
                    connection.sendCommand(Protocol.Command.XTRIM, b(key), b("MINID"), b(last));
                    sinceTrim.put(key, 0);
                }
                long now = System.nanoTime();
                Long renewed = renewedAt.get(key);
                if (renewed == null || now - renewed >= ReplyStreams.RENEW_EVERY.toNanos()) {
                    // Only the reader keeps its stream alive; workers set the TTL once, at creation.
                    connection.sendCommand(Protocol.Command.PEXPIRE, b(key), b(Long.toString(ReplyStreams.TTL.toMillis())));
                    renewedAt.put(key, now);
                }
            }
        }
        // The next read goes out before the outcomes are delivered: a caller woken by a delivery would
        // otherwise wait, on the same CPU, for this thread to build and send the read and go to sleep.
        if (!stopping) {
            sendRead();
        }
        for (TaskResult result : results) {
            try {
                deliver.accept(result);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a result callback threw (callbacks run on the reply thread: keep them short)", e);
            }
        }
    }

    /** Sends the next XREAD over every reply stream, from where each was read up to, and flushes it; its answer is read later. */
    private void sendRead() {
        List<String> keys = new ArrayList<>(streams.keySet());
        byte[][] args = new byte[5 + keys.size() * 2][];
        args[0] = b("COUNT");
        args[1] = b(Integer.toString(COUNT));
        args[2] = b("BLOCK");
        args[3] = b(Long.toString(BLOCK.toMillis()));
        args[4] = b("STREAMS");
        for (int i = 0; i < keys.size(); i++) {
            args[5 + i] = b(keys.get(i));
            args[5 + keys.size() + i] = b(streams.get(keys.get(i)));
        }
        FlushingConnection c = (FlushingConnection) connection.getConnection();
        c.sendCommand(Protocol.Command.XREAD, args);
        c.flushCommands();
        readPending = true;
    }

    private void closeConnection() {
        redisClientId = -1;
        readPending = false;
        if (connection != null) {
            try {
                connection.close();
            } catch (RuntimeException ignored) {
                // already broken
            }
            connection = null;
        }
    }

    void stop(Runnable wake) {
        stopping = true;
        wake.run();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
