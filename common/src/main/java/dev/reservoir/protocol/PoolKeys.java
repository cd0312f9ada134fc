package dev.reservoir.protocol;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The Redis key names of one pool: the single source of truth for worker, client and operator.
 *
 * <p>Every key of a pool shares the hash tag {@code {pool}} so that the Lua scripts, which touch
 * several keys at once, also work on Redis Cluster (all keys of a pool live in one slot).
 * The layout is documented in {@code docs/protocol.md}; change both together.
 */
public record PoolKeys(String pool) {

    /** The consumer group every worker of a pool reads the shared stream with. */
    public static final String GROUP = "workers";

    /** Pool names are DNS labels, like the WorkerPool resources they come from. */
    private static final Pattern POOL_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** Worker and client ids: no characters that would blur key boundaries. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    public PoolKeys {
        if (pool == null || !POOL_NAME.matcher(pool).matches()) {
            throw new IllegalArgumentException("pool name '" + pool + "' is not valid: use 1-63 lower-case letters, digits"
                    + " and '-', starting and ending with a letter or digit (a Kubernetes resource name)");
        }
    }

    public static boolean isValidId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    public static String requireValidId(String what, String id) {
        if (!isValidId(id)) {
            throw new IllegalArgumentException(what + " '" + id + "' is not valid: use 1-128 letters, digits, '.', '_' or '-'");
        }
        return id;
    }

    public String prefix() {
        return "reservoir:{" + pool + "}:";
    }

    /** The shared queue: a stream read by the consumer group {@link #GROUP}. */
    public String tasks() {
        return prefix() + "tasks";
    }

    /** A worker's own inbox, for chosen-worker routing (RoundRobin / Random). */
    public String inbox(String workerId) {
        return prefix() + "inbox:" + requireValidId("worker id", workerId);
    }

    /** Dead letters: tasks that failed for good, with their last error. */
    public String dead() {
        return prefix() + "dead";
    }

    /**
     * Results are kept in one hash per minute of completion (field = task id, value = the encoded
     * outcome), so a batch of outcomes costs one HSET and one expiry instead of a key per task.
     */
    public static final long RESULT_BUCKET_MS = 60_000;

    /** The result bucket that outcomes written at {@code epochMs} go to. */
    public String resultBucket(long epochMs) {
        return prefix() + "results:" + resultBucketNumber(epochMs);
    }

    public static long resultBucketNumber(long epochMs) {
        return epochMs / RESULT_BUCKET_MS;
    }

    /** Sorted set of the result bucket keys, scored by bucket number: where {@code get(taskId)} looks. */
    public String resultIndex() {
        return prefix() + "results";
    }

    /**
     * Hash of result bucket key → results written to it, so that retention can bound the results kept by
     * count without reading every bucket ({@code queue.maxResults}).
     */
    public String resultSizes() {
        return prefix() + "result-sizes";
    }

    /** A submitter's reply stream: workers push outcomes there, one entry per batch. */
    public String reply(String clientId) {
        return prefix() + "reply:" + requireValidId("client id", clientId);
    }

    /** True when {@code key} is a reply stream of this pool (so a script may write it safely). */
    public boolean isReplyKey(String key) {
        return key != null && key.startsWith(prefix() + "reply:") && isValidId(key.substring((prefix() + "reply:").length()));
    }

    /** Heartbeat hash of one worker (expires when the worker stops renewing it). */
    public String worker(String workerId) {
        return prefix() + "worker:" + requireValidId("worker id", workerId);
    }

    /** Sorted set of worker ids, scored by the time of their last heartbeat (epoch ms). */
    public String workers() {
        return prefix() + "workers";
    }

    /** Pool-wide counters, one hash field per {@link StatsFields} name. */
    public String stats() {
        return prefix() + "stats";
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
