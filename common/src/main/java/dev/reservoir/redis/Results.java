package dev.reservoir.redis;

import static dev.reservoir.redis.Replies.b;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.ReplyStreams;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * A pool's results: each task's outcome, written by the worker that ran it atomically with the
 * acknowledgement of its claim (complete.lua), and read back by task id. docs/protocol.md, "Reading
 * results".
 *
 * <h2>Writing: one script call per batch</h2>
 * A batch's outcomes go to the current result bucket with one {@code HSET}, to each reply stream as one
 * entry, and their claims are acknowledged with one {@code XACK}; so Redis's cost per task is a few field
 * writes, not a few keys. The script checks first that the consumer still owns each task: an outcome of a
 * task another worker took over is skipped (that worker writes its own), so a task has exactly one outcome.
 * Arguments are grouped by reply stream here, so that the script can pass each group on to {@code XADD}
 * as it is, without building per-task tables in Lua.
 *
 * <h2>Reading</h2>
 * Buckets newest first, pipelined: recent results are found in one round trip. The reply streams are
 * read by the Java client itself (its {@code ReplyReader}), not here.
 *
 * <p>Stateless and thread-safe, as {@link PoolQueue}.
 */
final class Results {
    private static final Script COMPLETE = Script.load("complete");
    /** Result buckets looked at in the first round trip of a lookup: the last few minutes. */
    private static final int RECENT_BUCKETS = 4;
    /** Result buckets per round trip after the first. */
    private static final int BUCKETS_PER_ROUND_TRIP = 256;
    /**
     * Most payload bytes a dead letter keeps: enough to tell what the task was, while the dead-letter
     * stream's memory stays bounded by its entry count (a failed task may carry a payload of many MiB).
     */
    static final int DEAD_LETTER_PAYLOAD_PREFIX = 1024;

    private final PoolKeys keys;
    private final byte[] tasksKey;
    private final byte[] group = b(PoolKeys.GROUP);

    Results(PoolKeys keys) {
        this.keys = keys;
        this.tasksKey = b(keys.tasks());
    }

    /** See {@link PoolQueue#complete}. */
    @SuppressWarnings("unchecked")
    boolean[] complete(Jedis jedis, String consumer, List<PoolQueue.Outcome> outcomes, Duration resultTtl, Duration replyTtl,
                       long deadLetterMaxLen) {
        int n = outcomes.size();
        if (n == 0) {
            return new boolean[0];
        }
        long now = System.currentTimeMillis();
        List<byte[]> keyList = new ArrayList<>(7);
        keyList.add(tasksKey);
        keyList.add(b(keys.dead()));
        keyList.add(b(keys.stats()));
        keyList.add(b(keys.resultBucket(now)));
        keyList.add(b(keys.resultIndex()));
        keyList.add(b(keys.resultSizes()));
        Map<String, List<Integer>> groups = groupByReplyStream(outcomes);
        // order[k] is the caller's index of the k-th outcome as the script numbers them (grouped).
        int[] order = new int[n];
        int k = 0;
        for (List<Integer> members : groups.values()) {
            for (int i : members) {
                order[k++] = i;
            }
        }
        String[] range = idRange(outcomes);
        List<byte[]> args = new ArrayList<>(12 + 3 * n + 2 * groups.size());
        args.add(group);
        args.add(b(consumer));
        args.add(b(Long.toString(Math.max(1, resultTtl.toMillis()))));
        args.add(b(Long.toString(Math.max(1, replyTtl.toMillis()))));
        args.add(b(Long.toString(deadLetterMaxLen)));
        args.add(b(Long.toString(PoolKeys.resultBucketNumber(now))));
        args.add(b(range[0]));
        args.add(b(range[1]));
        args.add(b(Integer.toString(n)));
        int failedAt = args.size();
        args.add(null); // failed count, known below
        args.add(b(Integer.toString(groups.size())));
        args.add(b(Long.toString(ReplyStreams.MAX_ENTRIES)));
        for (int i : order) {
            args.add(b(outcomes.get(i).streamId()));
        }
        for (Map.Entry<String, List<Integer>> g : groups.entrySet()) {
            int number = 0;
            if (!g.getKey().isEmpty()) {
                keyList.add(b(g.getKey()));
                number = keyList.size() - 6;
            }
            args.add(b(Integer.toString(number)));
            args.add(b(Integer.toString(g.getValue().size())));
        }
        int failed = 0;
        for (int i : order) {
            TaskResult r = outcomes.get(i).result();
            args.add(b(r.taskId()));
            args.add(r.encode());
            if (r.status() == TaskStatus.FAILED) {
                failed++;
            }
        }
        args.set(failedAt, b(Integer.toString(failed)));
        if (failed > 0) {
            addDeadLetters(args, outcomes, order);
        }
        List<Object> skipped = (List<Object>) COMPLETE.run(jedis, keyList, args);
        boolean[] written = new boolean[n];
        Arrays.fill(written, true);
        for (Object number : skipped) {
            written[order[(int) Replies.number(number) - 1]] = false;
        }
        return written;
    }

    /**
     * The caller's indexes of the outcomes per reply stream, in first-seen order, with the outcomes that
     * get no reply under {@code ""}, last. A reply key that is not a reply stream of this pool gets no
     * reply (the result is still kept): validated once per distinct key, not per task.
     */
    private Map<String, List<Integer>> groupByReplyStream(List<PoolQueue.Outcome> outcomes) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < outcomes.size(); i++) {
            String replyKey = outcomes.get(i).replyKey();
            groups.computeIfAbsent(replyKey == null ? "" : replyKey, key -> new ArrayList<>()).add(i);
        }
        List<Integer> noReply = groups.remove("");
        for (var it = groups.entrySet().iterator(); it.hasNext(); ) {
            var g = it.next();
            if (!keys.isReplyKey(g.getKey())) {
                noReply = noReply == null ? new ArrayList<>() : noReply;
                noReply.addAll(g.getValue());
                it.remove();
            }
        }
        if (noReply != null) {
            groups.put("", noReply);
        }
        return groups;
    }

    /** The lowest and highest stream id of the batch: the range of the script's one ownership check (XPENDING). */
    private static String[] idRange(List<PoolQueue.Outcome> outcomes) {
        long lowMs = Long.MAX_VALUE;
        long lowSeq = Long.MAX_VALUE;
        long highMs = -1;
        long highSeq = -1;
        int lowAt = 0;
        int highAt = 0;
        for (int i = 0; i < outcomes.size(); i++) {
            String id = outcomes.get(i).streamId();
            int dash = id.indexOf('-');
            long ms = Long.parseLong(id, 0, dash < 0 ? id.length() : dash, 10);
            long seq = dash < 0 ? 0 : Long.parseLong(id, dash + 1, id.length(), 10);
            if (ms < lowMs || ms == lowMs && seq < lowSeq) {
                lowMs = ms;
                lowSeq = seq;
                lowAt = i;
            }
            if (ms > highMs || ms == highMs && seq > highSeq) {
                highMs = ms;
                highSeq = seq;
                highAt = i;
            }
        }
        return new String[] {outcomes.get(lowAt).streamId(), outcomes.get(highAt).streamId()};
    }

    /**
     * Per failed outcome, by its number in the script's order: the dead letter's fields. A dead letter
     * keeps the task's handler, the first {@value #DEAD_LETTER_PAYLOAD_PREFIX} bytes of its payload and
     * the payload's whole size (to inspect it, or resubmit it when it was no longer than that), with the
     * result fields.
     */
    private static void addDeadLetters(List<byte[]> args, List<PoolQueue.Outcome> outcomes, int[] order) {
        for (int j = 0; j < order.length; j++) {
            PoolQueue.Outcome o = outcomes.get(order[j]);
            if (o.result().status() != TaskStatus.FAILED) {
                continue;
            }
            byte[] payload = o.payload() == null ? new byte[0] : o.payload();
            Map<String, byte[]> fields = new LinkedHashMap<>();
            fields.put("handler", b(o.handler() == null ? "" : o.handler()));
            fields.put("payload", payload.length <= DEAD_LETTER_PAYLOAD_PREFIX ? payload
                    : Arrays.copyOf(payload, DEAD_LETTER_PAYLOAD_PREFIX));
            fields.put("payload_bytes", b(Integer.toString(payload.length)));
            fields.putAll(o.result().toFields());
            args.add(b(Integer.toString(j + 1)));
            args.add(b(Integer.toString(fields.size())));
            fields.forEach((name, value) -> {
                args.add(b(name));
                args.add(value);
            });
        }
    }

    /** See {@link PoolQueue#result}. */
    TaskResult result(Jedis jedis, String taskId) {
        List<String> buckets = jedis.zrevrange(keys.resultIndex(), 0, -1);
        byte[] field = b(taskId);
        // Recent results first (one round trip for the last few minutes), then the rest in big slices:
        // a task that has no result yet costs ~buckets / 256 round trips, not one per bucket.
        for (int from = 0, size = RECENT_BUCKETS; from < buckets.size(); from += size, size = BUCKETS_PER_ROUND_TRIP) {
            List<String> slice = buckets.subList(from, Math.min(buckets.size(), from + size));
            Pipeline p = jedis.pipelined();
            List<Response<byte[]>> found = new ArrayList<>(slice.size());
            slice.forEach(bucket -> found.add(p.hget(b(bucket), field)));
            p.sync();
            for (Response<byte[]> r : found) {
                if (r.get() != null) {
                    return TaskResult.decode(taskId, r.get());
                }
            }
        }
        return null;
    }
}
