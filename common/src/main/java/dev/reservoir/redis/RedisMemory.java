package dev.reservoir.redis;

import java.util.HashMap;
import java.util.Map;
import redis.clients.jedis.Jedis;

/**
 * What a Redis server says about its memory: its {@code maxmemory-policy}, limit, use and the keys it
 * has evicted since it started ({@code INFO memory}, {@code INFO stats}). A pool needs
 * {@code noeviction} (docs/operations.md, "Full Redis"): any other policy may drop the tasks stream, a
 * result bucket or a reply stream, which loses tasks or outcomes without an error anywhere. With
 * {@code noeviction} a full Redis refuses writes instead: submissions fail, outcomes stay unwritten and
 * their tasks stay claimed until memory is freed, so nothing is lost.
 *
 * @param policy      the {@code maxmemory-policy}, e.g. {@code noeviction}, {@code allkeys-lru}
 * @param maxMemory   the limit in bytes; 0: none
 * @param usedMemory  bytes in use
 * @param evictedKeys keys evicted since the server started
 */
public record RedisMemory(String policy, long maxMemory, long usedMemory, long evictedKeys) {
    /** Reads the figures with two {@code INFO} calls (allowed where {@code CONFIG GET} often is not). */
    public static RedisMemory read(Jedis jedis) {
        Map<String, String> memory = fields(jedis.info("memory"));
        Map<String, String> stats = fields(jedis.info("stats"));
        return new RedisMemory(memory.getOrDefault("maxmemory_policy", "unknown"), number(memory.get("maxmemory")),
                number(memory.get("used_memory")), number(stats.get("evicted_keys")));
    }

    /** True when Redis may drop keys when full, instead of refusing writes. */
    public boolean evicts() {
        return !"noeviction".equals(policy);
    }

    /**
     * True when Redis is at 95% of its limit or more: with noeviction, writes that need memory are
     * refused near the limit already (a refused command's own arguments count while Redis checks, and
     * are freed right after, so the use reads just under the limit).
     */
    public boolean full() {
        return maxMemory > 0 && usedMemory >= maxMemory - maxMemory / 20;
    }

    /**
     * What is wrong for a pool, one line that says what to do, or null when nothing is: an evicting
     * policy (worse once keys were evicted), or a full Redis.
     */
    public String problem() {
        if (evicts() && evictedKeys > 0) {
            return "Redis has evicted " + evictedKeys + " key(s) under maxmemory-policy " + policy
                    + ": tasks or outcomes may have been lost; set maxmemory-policy noeviction and size maxmemory from the"
                    + " pools' retention (docs/operations.md)";
        }
        if (evicts()) {
            return "Redis runs with maxmemory-policy " + policy + ": when full it would drop tasks or outcomes; set"
                    + " maxmemory-policy noeviction (docs/operations.md)";
        }
        if (full()) {
            return "Redis is full (" + usedMemory + " of maxmemory " + maxMemory + " bytes, noeviction): submissions and outcomes are"
                    + " refused until memory is freed; raise maxmemory or lower the pools' retention (docs/operations.md)";
        }
        return null;
    }

    private static Map<String, String> fields(String info) {
        Map<String, String> out = new HashMap<>();
        for (String line : info.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                out.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return out;
    }

    private static long number(String value) {
        if (value == null) {
            return 0;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
