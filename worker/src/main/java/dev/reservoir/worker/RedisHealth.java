package dev.reservoir.worker;

import java.util.EnumMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * What this worker's rooms last learned of Redis: per room, whether its last call went through, and if
 * not, why ({@link Problem}). The worker is ready only while no room has a problem, so {@code /ready}
 * tells the truth whichever room met it first: the fetcher may be idle (every slot taken) while the
 * completer cannot write, or the housekeeper cannot publish the heartbeat during an outage.
 *
 * <p>Logging: one WARNING when a room's problem starts or changes, one INFO when it ends; repeats of the
 * same problem are logged at FINE only, so a long outage or a demoted Redis cannot flood the log.
 *
 * <p>Thread-safe: each room reports from its own thread; the map is guarded by {@code this}.
 */
final class RedisHealth {
    private static final Logger LOG = Logger.getLogger(RedisHealth.class.getName());

    /** A room that calls Redis. */
    enum Room {
        /** The fetcher: claims (reads, but XREADGROUP is a write to Redis). */
        CLAIM,
        /** The completer: outcomes and requeues. */
        WRITE,
        /** The housekeeper's heartbeat: a plain write, every heartbeatInterval. */
        HEARTBEAT
    }

    /** Why Redis did not take a call, from the error it gave. */
    enum Problem {
        UNREACHABLE("Redis is unreachable"),
        READONLY("Redis is a replica now (READONLY): reconnecting until the address points at a primary again"),
        LOADING("Redis is loading its data set (LOADING)"),
        FULL("Redis is full: it refuses writes at maxmemory (OOM); free memory or raise maxmemory (docs/operations.md)"),
        AUTH("Redis refused the password (NOAUTH/WRONGPASS)"),
        OTHER("Redis answered with an error");

        final String description;

        Problem(String description) {
            this.description = description;
        }

        /**
         * Whether claims can still be renewed with this problem (renewal writes no new data, so a full Redis
         * takes it): then an outcome that cannot be written would hold its task for as long as the problem lasts.
         */
        boolean renewalsStillWork() {
            return this == FULL || this == OTHER;
        }

        /** Whether the connection should be dropped and opened again: the address may now lead elsewhere. */
        boolean reconnect() {
            return this != FULL && this != OTHER;
        }
    }

    /** Guarded by this: each room's current problem; a room without one is absent. */
    private final Map<Room, Problem> problems = new EnumMap<>(Room.class);
    /** The reason of the worker being unready because of Redis, or null; written under this, volatile for readers. */
    private volatile String reason;

    /** The problem behind a Redis error. */
    static Problem classify(RuntimeException e) {
        if (e instanceof JedisConnectionException) {
            return Problem.UNREACHABLE;
        }
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (!(e instanceof JedisDataException)) {
            return Problem.OTHER;
        }
        if (m.startsWith("READONLY") || m.contains("READONLY You can't write")) {
            return Problem.READONLY;
        }
        if (m.startsWith("LOADING") || m.startsWith("MASTERDOWN")) {
            return Problem.LOADING;
        }
        if (m.startsWith("OOM") || m.contains("OOM command not allowed")) {
            return Problem.FULL;
        }
        if (m.startsWith("NOAUTH") || m.startsWith("WRONGPASS")) {
            return Problem.AUTH;
        }
        return Problem.OTHER;
    }

    /** Records that a room's call went through; logs the end of its problem, if it had one. */
    void ok(Room room) {
        if (reason == null) {
            return; // the usual case: no lock, no allocation
        }
        Problem ended;
        synchronized (this) {
            ended = problems.remove(room);
            refreshReason();
        }
        if (ended != null) {
            LOG.info(room.name().toLowerCase() + ": Redis takes calls again (was: " + ended.description + ")");
        }
    }

    /**
     * Records a room's failed call; returns its problem. Logs a WARNING (with the error) only when the
     * room's problem is new or changed.
     */
    Problem failed(Room room, RuntimeException e, String redis) {
        Problem problem = classify(e);
        Problem before;
        synchronized (this) {
            before = problems.put(room, problem);
            refreshReason();
        }
        if (before != problem) {
            LOG.log(Level.WARNING, room.name().toLowerCase() + ": " + problem.description + " at " + redis + " (" + e.getMessage()
                    + "); retrying with backoff, not ready meanwhile, this is logged again only when it changes", problem == Problem.OTHER ? e : null);
        } else {
            LOG.fine(room.name().toLowerCase() + ": still " + problem + ": " + e.getMessage());
        }
        return problem;
    }

    /** Null while every room's last call went through; else what is wrong, for /ready and the logs. */
    String reason() {
        return reason;
    }

    /**
     * Whether Redis refused this worker's last outcome or heartbeat write because it is full: claiming more
     * then would only add outcomes it cannot take. The claim room's own problems do not count, so a pause
     * in claiming never keeps itself going: the writes find out when Redis has room again.
     */
    boolean full() {
        if (reason == null) {
            return false; // the usual case: one volatile read
        }
        synchronized (this) {
            return problems.get(Room.WRITE) == Problem.FULL || problems.get(Room.HEARTBEAT) == Problem.FULL;
        }
    }

    /** Caller holds this. */
    private void refreshReason() {
        if (problems.isEmpty()) {
            reason = null;
            return;
        }
        StringBuilder sb = new StringBuilder();
        problems.forEach((room, problem) -> sb.append(sb.isEmpty() ? "" : "; ").append(room.name().toLowerCase()).append(": ")
                .append(problem.description));
        reason = sb.toString();
    }
}
