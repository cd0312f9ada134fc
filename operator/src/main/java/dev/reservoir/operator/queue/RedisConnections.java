package dev.reservoir.operator.queue;

import dev.reservoir.redis.RedisEndpoint;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import redis.clients.jedis.JedisPool;

/**
 * One small Jedis pool per Redis endpoint (URL and password), shared by all WorkerPools that use it.
 */
@ApplicationScoped
public class RedisConnections {
    /**
     * Key: the endpoint with its password (a record), so a rotated password gets its own pool while
     * pools still using the old one finish their work. Thread-safe map; Jedis pools are thread-safe.
     */
    private final Map<RedisEndpoint, JedisPool> pools = new ConcurrentHashMap<>();

    public JedisPool pool(RedisEndpoint endpoint) {
        return pools.computeIfAbsent(endpoint, e -> e.pool("reservoir-operator", 4));
    }

    @PreDestroy
    void close() {
        pools.values().forEach(JedisPool::close);
        pools.clear();
    }
}
