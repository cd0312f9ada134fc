package dev.reservoir.local;

import dev.reservoir.protocol.WorkerEnv;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.redis.RedisServerProcess;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.function.BooleanSupplier;
import redis.clients.jedis.Jedis;

/**
 * The Redis of one local pool: either an embedded one it started on a free port, which holds the
 * pool's queue and dies with it (the pool stops it, and stops when it dies), or one named by the
 * spec, which outlives the pool and is never stopped or restarted by it.
 *
 * <p>The embedded Redis listens on loopback only and requires a password drawn at random for it
 * (never on any command line): other local users can neither read nor feed its queue. Its
 * {@link #url()} carries that password, for the user; workers get the password apart, in
 * {@code RESERVOIR_REDIS_PASSWORD}, so it is not in a URL they might log.
 */
final class LocalRedis {
    /** How long the supervisor waits, while Redis is unreachable, for a dying embedded Redis's exit to show. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Null when the spec names a Redis. */
    private final RedisServerProcess embedded;
    private final String url;
    private final RedisEndpoint endpoint;

    private LocalRedis(RedisServerProcess embedded, String url, RedisEndpoint endpoint) {
        this.embedded = embedded;
        this.url = url;
        this.endpoint = endpoint;
    }

    /** Starts an embedded Redis unless {@code spec} names one. */
    static LocalRedis open(PoolSpec spec) {
        if (spec.redisUrl() != null) {
            return new LocalRedis(null, spec.redisUrl(), RedisEndpoint.parse(spec.redisUrl(), System.getenv(WorkerEnv.REDIS_PASSWORD)));
        }
        RedisServerProcess process;
        try {
            process = RedisServerProcess.onFreePort(false, randomPassword()).start();
        } catch (RuntimeException e) {
            throw new LocalPoolException("could not start the embedded Redis: " + e.getMessage()
                    + " (install redis-server, or pass --redis URL of a running one)", e);
        }
        // The embedded Redis's own password, whatever RESERVOIR_REDIS_PASSWORD says (that one is for a Redis named by the user).
        return new LocalRedis(process, process.url(), RedisEndpoint.parse(process.url(), null));
    }

    /** 24 random bytes, base64url: 192 bits, and only characters that need no escaping in a URL. */
    static String randomPassword() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** How the user reaches this Redis; for the embedded one it includes its password. */
    String url() {
        return url;
    }

    /** The URL the workers get: the embedded Redis's without its password (that comes in {@link #workerPassword()}). */
    String workerUrl() {
        return embedded == null ? url : embedded.address();
    }

    /** The password workers get in RESERVOIR_REDIS_PASSWORD; null: they inherit this JVM's (a Redis named by the spec). */
    String workerPassword() {
        return embedded == null ? null : embedded.password();
    }

    RedisEndpoint endpoint() {
        return endpoint;
    }

    boolean embedded() {
        return embedded != null;
    }

    /** The embedded Redis has exited (crash, kill, SHUTDOWN), taking the queue with it. False for a Redis named by the spec. */
    boolean embeddedDied() {
        return embedded != null && !embedded.isRunning();
    }

    /**
     * A dropped connection or refused connect usually means the embedded Redis is dying, and on a
     * loaded machine its exit can take seconds to become visible; deciding too early would report a
     * retry loop instead of its death. So this waits for the exit (up to {@link #EXIT_WAIT}, returning
     * as soon as it exits) while Redis stays unreachable and {@code keepWaiting} holds: nothing can be
     * supervised without Redis anyway. A Redis that answers a PING again was only briefly unreachable,
     * and the wait ends at once.
     */
    void awaitEmbeddedExitWhileUnreachable(BooleanSupplier keepWaiting) {
        if (embedded == null) {
            return;
        }
        long deadline = System.nanoTime() + EXIT_WAIT.toNanos();
        while (keepWaiting.getAsBoolean() && System.nanoTime() < deadline) {
            if (embedded.awaitExit(Duration.ofMillis(250)) || answersPing()) {
                return;
            }
        }
    }

    private boolean answersPing() {
        try (Jedis probe = endpoint.connect("reservoir-local-probe", Duration.ofSeconds(1))) {
            probe.ping();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Stops the embedded Redis; a Redis named by the spec is left running. */
    void stop() {
        if (embedded != null) {
            embedded.stop();
        }
    }

    @Override
    public String toString() {
        return endpoint.toString();
    }
}
