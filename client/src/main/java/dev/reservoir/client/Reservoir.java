package dev.reservoir.client;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisEndpoint;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * A connection to Reservoir through one Redis: the entry point of the Java client.
 *
 * <pre>{@code
 * try (Reservoir reservoir = Reservoir.connect("redis://127.0.0.1:6379")) {
 *     Pool pool = reservoir.pool("thumbnails");
 *     Result r = pool.apply("echo", "hi".getBytes());
 *     CompletableFuture<Result> f = pool.submit("sha256", "1Mix27".getBytes());
 *     List<Result> all = pool.map("echo", payloads);
 * }
 * }</pre>
 *
 * <p>One client owns three threads and two connections whatever the number of tasks: a submitter that
 * pipelines XADDs, a reply reader that completes futures from the client's reply streams, and a
 * deadline watch that ends the waits of tasks whose outcome did not come back in time. Other calls
 * ({@code get}, status, the watch's lookups) borrow from a small connection pool. Thread-safe.
 *
 * <p>Lifecycle: OPEN → {@link #close()} → CLOSED. Closing stops accepting tasks, sends what was
 * already handed over, and fails futures still waiting (their tasks keep running in the pool, and
 * their results stay available by task id).
 */
public final class Reservoir implements AutoCloseable {
    private final RedisEndpoint endpoint;
    private final String clientId;
    private final JedisPool commands;
    private final Submitter submitter;
    private final ReplyReader reader;
    private final DeadlineWatch deadlines;
    /** Every outstanding task of this client: permits, join counts, and the futures the reader completes. */
    private final TaskRegistry registry;
    private final Map<String, Pool> pools = new ConcurrentHashMap<>();
    /** Set once by close(). */
    private volatile boolean closed;

    private Reservoir(RedisEndpoint endpoint, ClientOptions options) {
        this.endpoint = endpoint;
        this.clientId = newClientId();
        this.registry = new TaskRegistry(clientId);
        this.commands = endpoint.pool("reservoir-" + clientId, 4);
        try (Jedis jedis = commands.getResource()) {
            jedis.ping();
        } catch (JedisConnectionException e) {
            commands.close();
            throw new ReservoirConnectionException("cannot reach Redis at " + endpoint + " (" + rootMessage(e)
                    + "): start a pool with 'reservoir local' or pass the right --redis URL", e);
        } catch (RuntimeException e) {
            commands.close();
            throw new ReservoirConnectionException("cannot use Redis at " + endpoint + ": " + e.getMessage(), e);
        }
        this.submitter = new Submitter(endpoint, "reservoir-" + clientId, options.submitBatch());
        this.deadlines = new DeadlineWatch(registry, "reservoir-" + clientId, this::storedOutcome);
        this.reader = new ReplyReader(endpoint, "reservoir-" + clientId, options.reconnectGrace(), registry::deliver, registry::failAll,
                deadlines::checkAllSoon);
        submitter.start();
        reader.start();
        deadlines.start();
    }

    /** Connects to {@code redis://[user[:password]@]host[:port][/db]} (or {@code rediss://}). */
    public static Reservoir connect(String redisUrl) {
        return connect(redisUrl, ClientOptions.defaults());
    }

    public static Reservoir connect(String redisUrl, ClientOptions options) {
        return new Reservoir(RedisEndpoint.parse(redisUrl, options.password()), options);
    }

    /** A handle on the pool {@code name} with default options (shared-queue routing). */
    public Pool pool(String name) {
        return pool(name, PoolOptions.defaults());
    }

    /**
     * A handle on the pool {@code name}. Handles are cached per name: the first call's options win.
     *
     * @throws UnsupportedOperationException for chosen-worker dispatch, which this client does not route yet
     */
    public Pool pool(String name, PoolOptions options) {
        ensureOpen();
        Pool existing = pools.get(name);
        if (existing != null) {
            return existing;
        }
        // Built and checked outside the map: creating the group is a Redis round trip, and doing it inside
        // computeIfAbsent would hold the map's bin lock (other pools' lookups) for as long as Redis takes.
        // Racing first calls both create the group (idempotent); the first handle put in the map wins.
        PoolQueue queue = new PoolQueue(new PoolKeys(name));
        Router router = Router.of(options.dispatch(), queue);
        withJedis("opening pool " + name, jedis -> {
            queue.ensureGroup(jedis);
            return null;
        });
        Pool created = new Pool(this, registry, queue, options, router);
        Pool winner = pools.putIfAbsent(name, created);
        if (winner != null) {
            return winner;
        }
        if (reader.watch(queue.keys().reply(clientId))) {
            wakeReader();
        }
        return created;
    }

    public String clientId() {
        return clientId;
    }

    public RedisEndpoint endpoint() {
        return endpoint;
    }

    /** Runs {@code action} with a pooled connection (status queries, get). */
    <T> T withJedis(String what, java.util.function.Function<Jedis, T> action) {
        try (Jedis jedis = commands.getResource()) {
            return action.apply(jedis);
        } catch (JedisConnectionException e) {
            throw connectionLost(what, e);
        }
    }

    ReservoirConnectionException connectionLost(String what, Exception e) {
        return new ReservoirConnectionException("lost the connection to Redis at " + endpoint + " while " + what + " ("
                + rootMessage(e) + "): check that Redis is up, then retry", e);
    }

    /** The stored outcome of a task (null: none), for the deadline watch; throws ReservoirConnectionException when Redis cannot be asked. */
    private TaskResult storedOutcome(PendingTask task) {
        return withJedis("checking the stored outcome of " + task.taskId, jedis -> task.quota.queue.result(jedis, task.taskId));
    }

    /** Ends the wait for a task past its deadline on the caller's thread: its stored outcome, else {@link TaskOutcomeUnknownException}. */
    void expire(PendingTask task) {
        deadlines.expire(task);
    }

    /** Hands an admitted task to the submitter; it may send it on this thread when it is the only one waiting. */
    void send(PendingTask task) {
        submitter.enqueue(task, registry.loneAwaiting());
    }

    void sendAll(List<PendingTask> tasks) {
        submitter.enqueueAll(tasks);
    }

    /** Tasks of this client waiting for an outcome. */
    int pendingCount() {
        return registry.awaitingCount();
    }

    /** Interrupts the reader's blocking read so it picks up a newly watched stream at once. */
    private void wakeReader() {
        long id = reader.redisClientId();
        if (id < 0) {
            return;
        }
        try (Jedis jedis = commands.getResource()) {
            jedis.clientUnblock(id);
        } catch (RuntimeException e) {
            // the reader picks the stream up after its current block anyway
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this Reservoir client is closed: connect again to submit more tasks");
        }
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Stops accepting tasks, sends what was handed over, stops the reader and fails futures still
     * waiting. Call {@link Pool#join()} first to wait for results.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pools.values().forEach(Pool::close);
        submitter.stop();
        reader.stop(this::wakeReader);
        deadlines.stop();
        registry.failAll(new ReservoirException("client closed before the result arrived; the task keeps running:"
                + " fetch its result later with get(taskId)"));
        // Reply streams are per client: nobody reads them after this.
        try (Jedis jedis = commands.getResource()) {
            for (String key : reader.replyKeys()) {
                jedis.del(key);
            }
        } catch (RuntimeException ignored) {
            // they expire with the reply TTL anyway
        }
        commands.close();
    }

    private static String newClientId() {
        byte[] random = new byte[6];
        ThreadLocalRandom.current().nextBytes(random);
        return "c" + HexFormat.of().formatHex(random);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }
}
