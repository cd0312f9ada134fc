package dev.reservoir.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time of the benchmark threads per operation ({@code ·cpu.ns/op}), next to JMH's wall-clock score.
 *
 * <p>Why: the build machine has 2 cores shared by several engineers; while others build, a benchmark thread
 * is descheduled for part of each iteration and wall-clock ns/op inflate by 2-10x, differently for each
 * benchmark. Thread CPU time (ThreadMXBean) leaves out time spent descheduled, so it stays comparable across
 * benchmarks run minutes apart. It still includes cache damage from other processes and JMH's own loop.
 * Run with {@code -prof dev.reservoir.bench.CpuTimeProfiler}.
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private Map<Long, Long> before = Map.of();

    @Override
    public String getDescription() {
        return "CPU time of JMH worker threads per operation (ThreadMXBean)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        before = workerCpuTimes();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        Map<Long, Long> after = workerCpuTimes();
        long cpu = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            cpu += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        long ops = result.getMetadata().getAllOps(); // all threads' operations in this iteration
        double perOp = ops == 0 ? Double.NaN : (double) cpu / ops;
        return List.of(new ScalarResult("cpu.ns/op", perOp, "ns/op", AggregationPolicy.AVG));
    }

    private Map<Long, Long> workerCpuTimes() {
        Map<Long, Long> times = new HashMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().contains("jmh-worker")) {
                long cpu = threads.getThreadCpuTime(t.threadId());
                if (cpu >= 0) {
                    times.put(t.threadId(), cpu);
                }
            }
        }
        return times;
    }
}
