package dev.reservoir.redis;

import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/**
 * A Jedis connection that can push what it has buffered to Redis without waiting for the answer
 * ({@link Connection#flush()} is protected). For a thread that sends its next blocking read before
 * it hands its work on and then reads the answer: the thread it woke runs as soon as this one
 * sleeps, instead of waiting behind it (docs/benchmarks.md, "Where a round trip's time goes").
 */
public final class FlushingConnection extends Connection {
    FlushingConnection(HostAndPort hostAndPort, JedisClientConfig config) {
        super(hostAndPort, config);
    }

    /** Writes the buffered commands to the socket; their answers are read later with {@link #getOne()}. */
    public void flushCommands() {
        flush();
    }
}
