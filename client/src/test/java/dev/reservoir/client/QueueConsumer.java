package dev.reservoir.client;

import dev.reservoir.protocol.ErrorTypes;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.StreamEntry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.Jedis;

/**
 * A minimal consumer built on PoolQueue (read + complete), standing in for a worker in tests that
 * only exercise the client: echo, fail and sleep handlers, plus a gate that holds tasks unanswered.
 */
final class QueueConsumer implements AutoCloseable {
    private final PoolQueue queue;
    private final Thread thread;
    private final String url;
    private volatile boolean stopping;
    /** While true, claimed tasks are held unanswered (to test bounds and timeouts). */
    volatile boolean hold;
    final AtomicLong handled = new AtomicLong();
    /** Highest backlog + in-flight seen in Redis while running: what a client has outstanding there. */
    final AtomicInteger maxOutstandingInRedis = new AtomicInteger();

    QueueConsumer(String redisUrl, String pool) {
        this.url = redisUrl;
        this.queue = new PoolQueue(pool);
        this.thread = Thread.ofPlatform().daemon().name("test-consumer").start(this::run);
    }

    private void run() {
        try (Jedis jedis = dev.reservoir.redis.RedisEndpoint.parse(url, null).connect("test-consumer", Duration.ofSeconds(5))) {
            queue.ensureGroup(jedis);
            while (!stopping) {
                if (hold) {
                    Thread.sleep(5);
                    continue;
                }
                long outstanding = queue.backlog(jedis) + queue.inFlight(jedis);
                maxOutstandingInRedis.accumulateAndGet((int) outstanding, Math::max);
                List<StreamEntry> entries = queue.read(jedis, "test-worker", 50, Duration.ofMillis(50));
                while (hold && !stopping) {
                    Thread.sleep(5); // claimed while hold was set: keep them unanswered until released
                }
                List<PoolQueue.Outcome> outcomes = new ArrayList<>();
                for (StreamEntry e : entries) {
                    Task t = Task.fromFields(e.fields());
                    TaskResult r = switch (t.handler()) {
                        case "echo" -> TaskResult.ok(t.id(), t.payload(), 1, "test-worker", 1);
                        case "sleep" -> {
                            Thread.sleep(Long.parseLong(new String(t.payload(), StandardCharsets.UTF_8)));
                            yield TaskResult.ok(t.id(), t.payload(), 1, "test-worker", 1);
                        }
                        case "fail" -> TaskResult.failed(t.id(), ErrorTypes.HANDLER_ERROR, "IllegalStateException: asked to fail", 3,
                                "test-worker", 1);
                        default -> TaskResult.failed(t.id(), ErrorTypes.UNKNOWN_HANDLER, "no handler '" + t.handler() + "'", 1,
                                "test-worker", 0);
                    };
                    outcomes.add(new PoolQueue.Outcome(e.id(), r, t.replyTo(), t.handler(), t.payload()));
                }
                if (!outcomes.isEmpty()) {
                    queue.complete(jedis, "test-worker", outcomes, Duration.ofMinutes(5), Duration.ofMinutes(5), 10_000);
                    handled.addAndGet(outcomes.size());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        thread.join(5000);
    }
}
