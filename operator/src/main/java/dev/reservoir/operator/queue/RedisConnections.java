package dev.reservoir.operator.queue;

import dev.reservoir.redis.RedisEndpoint;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

/**
 * One small Jedis pool per Redis endpoint (URL and password), shared by the WorkerPools that use it,
 * and closed when the last of them stops using it: the pool was deleted, or its URL or password
 * (Secret) changed. Without that an operator that outlives many pools, or a rotated password, would
 * keep idle connections (and Redis client slots) open forever.
 *
 * <p>Each WorkerPool is an <em>owner</em>, named by its uid, and uses exactly one endpoint at a time.
 * Lifecycle of a shared pool: opened by the first {@link #pool} call for its endpoint → shared while
 * any owner uses it → closed when its last owner moves to another endpoint or is {@link #release}d.
 * An owner's calls come from its own reconciles, which JOSDK never runs at once, so a Jedis pool is
 * never closed under a reconcile that is still using it.
 */
@ApplicationScoped
public class RedisConnections {
    private static final Logger LOG = Logger.getLogger(RedisConnections.class);
    static final String CLIENT_NAME = "reservoir-operator";
    private static final int MAX_CONNECTIONS_PER_ENDPOINT = 4;

    /** Endpoint (with its password, a record) → its pool and owners. Guarded by {@code this}. */
    private final Map<RedisEndpoint, Shared> byEndpoint = new HashMap<>();
    /** Owner → the endpoint it uses now. Guarded by {@code this}. */
    private final Map<String, RedisEndpoint> byOwner = new HashMap<>();

    private record Shared(JedisPool pool, Set<String> owners) {
    }

    /** The connection pool for {@code endpoint}, recording that {@code owner} uses it (and no longer its previous endpoint). */
    public JedisPool pool(String owner, RedisEndpoint endpoint) {
        JedisPool unused;
        JedisPool pool;
        synchronized (this) {
            RedisEndpoint previous = byOwner.put(owner, endpoint);
            unused = previous == null || previous.equals(endpoint) ? null : detach(owner, previous);
            Shared shared = byEndpoint.computeIfAbsent(endpoint, e -> new Shared(e.pool(CLIENT_NAME, MAX_CONNECTIONS_PER_ENDPOINT),
                    new HashSet<>()));
            shared.owners().add(owner);
            pool = shared.pool();
        }
        closeQuietly(unused); // outside the lock: closing talks to Redis
        return pool;
    }

    /** The owner uses no Redis any more (its WorkerPool was deleted, or its spec cannot be read): close what only it used. */
    public void release(String owner) {
        JedisPool unused;
        synchronized (this) {
            RedisEndpoint previous = byOwner.remove(owner);
            unused = previous == null ? null : detach(owner, previous);
        }
        closeQuietly(unused);
    }

    /** Endpoints with an open pool (for tests and diagnostics). */
    public synchronized Set<RedisEndpoint> openEndpoints() {
        return Set.copyOf(byEndpoint.keySet());
    }

    /** Owners holding connections (for tests and diagnostics). */
    public synchronized Set<String> owners() {
        return Set.copyOf(byOwner.keySet());
    }

    /** Removes the owner from the endpoint's users; returns the pool to close when it was the last one. Caller holds the lock. */
    private JedisPool detach(String owner, RedisEndpoint endpoint) {
        Shared shared = byEndpoint.get(endpoint);
        if (shared == null) {
            return null;
        }
        shared.owners().remove(owner);
        if (!shared.owners().isEmpty()) {
            return null;
        }
        byEndpoint.remove(endpoint);
        return shared.pool();
    }

    private static void closeQuietly(JedisPool pool) {
        if (pool == null) {
            return;
        }
        try {
            pool.close();
        } catch (JedisException e) {
            // Its connections are dropped with the pool either way; a failed QUIT must not fail a reconcile.
            LOG.debugf("closing an unused Redis pool: %s", e.getMessage());
        }
    }

    @PreDestroy
    void close() {
        List<JedisPool> all;
        synchronized (this) {
            all = new ArrayList<>(byEndpoint.values().stream().map(Shared::pool).toList());
            byEndpoint.clear();
            byOwner.clear();
        }
        all.forEach(RedisConnections::closeQuietly);
    }
}
