package dev.reservoir.worker;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.Replies;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/** Test-side submitter: puts tasks on a pool's stream and reads every result pushed to its reply stream. */
public final class TestPool {
    public final PoolKeys keys;
    public final PoolQueue queue;
    private final int redisPort;
    public final String replyKey;

    public TestPool(String pool, int redisPort) {
        this.keys = new PoolKeys(pool);
        this.queue = new PoolQueue(keys);
        this.redisPort = redisPort;
        this.replyKey = keys.reply("test-client");
    }

    public Jedis jedis() {
        return dev.reservoir.redis.RedisEndpoint.parse("redis://127.0.0.1:" + redisPort, null).connect("test", Duration.ofSeconds(10));
    }

    public void submit(String id, String handler, String payload) {
        submit(Task.of(id, handler, payload.getBytes(StandardCharsets.UTF_8), replyKey));
    }

    public void submit(Task task) {
        try (Jedis jedis = jedis()) {
            queue.ensureGroup(jedis);
            queue.submit(jedis, task);
        }
    }

    public void submitMany(int n, String prefix, String handler, Supplier<String> payload) {
        try (Jedis jedis = jedis()) {
            queue.ensureGroup(jedis);
            var pipeline = jedis.pipelined();
            for (int i = 0; i < n; i++) {
                Task task = Task.of(prefix + i, handler, payload.get().getBytes(StandardCharsets.UTF_8), replyKey);
                pipeline.sendCommand(Protocol.Command.XADD, queue.xaddArgs(task));
            }
            pipeline.sync();
        }
    }

    /** Every result entry pushed to the reply stream so far, grouped by task id (a list: duplicates show). */
    @SuppressWarnings("unchecked")
    public Map<String, List<TaskResult>> replies() {
        Map<String, List<TaskResult>> out = new LinkedHashMap<>();
        try (Jedis jedis = jedis()) {
            List<Object> entries = (List<Object>) jedis.sendCommand(Protocol.Command.XRANGE, Replies.b(replyKey), Replies.b("-"), Replies.b("+"));
            for (Object e : entries) {
                List<Object> pair = (List<Object>) e;
                List<Object> kv = (List<Object>) pair.get(1);
                // one entry per completed batch: task id -> encoded outcome (docs/protocol.md)
                for (int i = 0; i + 1 < kv.size(); i += 2) {
                    TaskResult r = TaskResult.decode(Replies.text(kv.get(i)), (byte[]) kv.get(i + 1));
                    out.computeIfAbsent(r.taskId(), k -> new ArrayList<>()).add(r);
                }
            }
        }
        return out;
    }

    /** Waits until {@code n} distinct tasks have a result; fails with what was seen otherwise. */
    public Map<String, List<TaskResult>> awaitReplies(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, List<TaskResult>> seen = replies();
        while (seen.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(50);
            seen = replies();
        }
        if (seen.size() < n) {
            try (Jedis jedis = jedis()) {
                throw new AssertionError("only " + seen.size() + " of " + n + " tasks have a result after " + timeout + "; backlog="
                        + queue.backlog(jedis) + " inFlight=" + queue.inFlightByConsumer(jedis) + " stats=" + queue.stats(jedis)
                        + " dead=" + queue.deadLetters(jedis));
            }
        }
        return seen;
    }
}
