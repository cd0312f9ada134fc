package dev.reservoir.client;

import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskResult;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.redis.RedisServerProcess;
import dev.reservoir.redis.StreamEntry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * Not a test: a measuring tool for the client's own CPU per task, apart from the workers. A bare
 * consumer thread (read 1,000, complete them as echo, no thread hand-offs) stands in for the pool, so
 * the client runs as fast as Redis lets it; the client's CPU is this JVM's CPU minus that thread's.
 * Run from the root:
 * <pre>
 * ./mvnw -q -pl client -am test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/client.cp
 * java -cp client/target/test-classes:client/target/classes:$(cat /tmp/client.cp) dev.reservoir.client.ClientCpuProbe noop 300000
 * java -cp ... dev.reservoir.client.ClientCpuProbe apply 20000
 * </pre>
 */
public final class ClientCpuProbe {
    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "noop";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 300_000;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start();
             Reservoir reservoir = Reservoir.connect(redis.url())) {
            Pool pool = reservoir.pool("probe");
            Thread consumer = Thread.ofPlatform().daemon().name("probe-consumer").start(() -> consume(redis.url()));
            for (int round = 0; round < 4; round++) {
                Map<String, Long> threadsBefore = threadCpu(mx);
                long consumerBefore = mx.getThreadCpuTime(consumer.threadId());
                long processBefore = os.getProcessCpuTime();
                long start = System.nanoTime();
                run(pool, mode, round == 0 ? n / 4 : n);
                long wall = System.nanoTime() - start;
                long tasks = round == 0 ? n / 4 : n;
                long client = os.getProcessCpuTime() - processBefore - (mx.getThreadCpuTime(consumer.threadId()) - consumerBefore);
                System.out.printf("%s round %d%s: %d tasks, %.0f tasks/s, client CPU %.2f us/task%n", mode, round, round == 0 ? " (warm-up)" : "",
                        tasks, tasks * 1e9 / wall, client / 1e3 / tasks);
                if (round == 3) {
                    Map<String, Long> after = threadCpu(mx);
                    after.forEach((name, cpu) -> {
                        long d = cpu - threadsBefore.getOrDefault(name, 0L);
                        if (d > 0 && !name.equals("probe-consumer")) {
                            System.out.printf("    %-50s %.2f us/task%n", name, d / 1e3 / tasks);
                        }
                    });
                }
            }
        }
    }

    private static void run(Pool pool, String mode, int n) {
        if (mode.equals("apply")) {
            byte[] x = {'x'};
            for (int i = 0; i < n; i++) {
                pool.apply("echo", x, Duration.ofSeconds(30));
            }
            return;
        }
        try (ResultIterator it = pool.imap("echo", repeat(new byte[0], n), new MapOptions(8192, 256))) {
            while (it.hasNext()) {
                it.next();
            }
        }
    }

    private static Map<String, Long> threadCpu(ThreadMXBean mx) {
        Map<String, Long> out = new TreeMap<>();
        for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info != null) {
                out.merge(info.getThreadName(), Math.max(0, mx.getThreadCpuTime(info.getThreadId())), Long::sum);
            }
        }
        return out;
    }

    private static void consume(String url) {
        PoolQueue queue = new PoolQueue("probe");
        try (Jedis jedis = RedisEndpoint.parse(url, null).connect("probe-consumer", Duration.ofSeconds(5))) {
            queue.ensureGroup(jedis);
            while (true) {
                List<StreamEntry> entries = queue.read(jedis, "probe-worker", 1000, Duration.ofMillis(1000));
                List<PoolQueue.Outcome> outcomes = new ArrayList<>(entries.size());
                for (StreamEntry e : entries) {
                    Task t = Task.fromFields(e.fields());
                    outcomes.add(new PoolQueue.Outcome(e.id(), TaskResult.ok(t.id(), t.payload(), 1, "probe-worker", 1), t.replyTo(),
                            t.handler(), t.payload()));
                }
                if (!outcomes.isEmpty()) {
                    queue.complete(jedis, "probe-worker", outcomes, Duration.ofMinutes(5), Duration.ofMinutes(5), 10_000);
                }
            }
        } catch (JedisConnectionException e) {
            // Redis stopped at the end of the run
        }
    }

    /** n times the same payload, without n references held (nCopies is a view). */
    private static Iterable<byte[]> repeat(byte[] payload, int n) {
        return java.util.Collections.nCopies(n, payload);
    }
}
