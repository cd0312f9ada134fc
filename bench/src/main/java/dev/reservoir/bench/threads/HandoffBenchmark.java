package dev.reservoir.bench.threads;

import dev.reservoir.worker.RunnerPool;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Handing a task to the thread pool: one producer (the worker's fetcher) queues 1,000 no-op tasks
 * and waits until all ran. Time per task, for the worker's {@link RunnerPool} (fixed runners over one
 * queue; platform or virtual runners) against the JDK's fixed ThreadPoolExecutor and a virtual
 * thread per task, in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(HandoffBenchmark.BATCH)
public class HandoffBenchmark {
    static final int BATCH = 1000;

    @Param({"runnerPool-platform", "runnerPool-virtual", "threadPoolExecutor", "virtualThreadPerTask"})
    public String pool;

    @Param({"4"})
    public int threads;

    private RunnerPool<Runnable> runners;
    private ExecutorService executor;

    @Setup(Level.Trial)
    public void start() {
        switch (pool) {
            case "runnerPool-platform" -> runners = new RunnerPool<Runnable>(threads, Thread.ofPlatform().factory(), Runnable::run).start();
            case "runnerPool-virtual" -> runners = new RunnerPool<Runnable>(threads, Thread.ofVirtual().factory(), Runnable::run).start();
            case "threadPoolExecutor" -> executor = Executors.newFixedThreadPool(threads);
            case "virtualThreadPerTask" -> executor = Executors.newVirtualThreadPerTaskExecutor();
            default -> throw new IllegalArgumentException(pool);
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        if (runners != null) {
            runners.stop(Duration.ofSeconds(5));
        }
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    @Benchmark
    public void handOffAndRun() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(BATCH);
        Runnable task = done::countDown;
        if (runners != null) {
            for (int i = 0; i < BATCH; i++) {
                runners.submit(task);
            }
        } else {
            for (int i = 0; i < BATCH; i++) {
                executor.execute(task);
            }
        }
        done.await();
    }
}
