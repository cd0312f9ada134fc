package dev.reservoir.bench.memory;

import dev.reservoir.worker.memory.Block;
import dev.reservoir.worker.memory.LeakDetection;
import dev.reservoir.worker.memory.MemoryPool;
import dev.reservoir.worker.memory.MemoryPoolConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The worker's usual pattern: a fetcher thread leases a block (to read a payload into) and a task thread
 * releases it. One thread leases and hands blocks over through a queue, the other takes and releases them.
 * The queue's cost is in both variants; compare them with each other, not with {@link MemoryPoolBenchmark}.
 *
 * <p>Each side retries (yielding, bounded so an iteration can always end) until its half of a hand-off is done, so
 * nearly every operation is one hand-off half: CPU per hand-off is about twice {@code cpu.ns/op}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow",
        "-Dio.netty.allocator.maxCachedBufferCapacity=65536",
        "-Dio.netty.allocator.useCacheForAllThreads=true"})
@State(Scope.Group)
public class CrossThreadReleaseBenchmark {
    private static final int BLOCK_SIZE = 65536;
    private static final int MAX_SPINS = 100;

    private MemoryPool pool;
    private PooledByteBufAllocator netty;
    private ArrayBlockingQueue<Block> blocks;
    private ArrayBlockingQueue<ByteBuf> buffers;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new MemoryPool(new MemoryPoolConfig(BLOCK_SIZE, 64, 64, LeakDetection.OFF));
        netty = new PooledByteBufAllocator(true, 0, PooledByteBufAllocator.defaultNumDirectArena(),
                PooledByteBufAllocator.defaultPageSize(), PooledByteBufAllocator.defaultMaxOrder(),
                PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(), true);
        blocks = new ArrayBlockingQueue<>(32);
        buffers = new ArrayBlockingQueue<>(32);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Block b; (b = blocks.poll()) != null; ) {
            b.release();
        }
        for (ByteBuf b; (b = buffers.poll()) != null; ) {
            b.release();
        }
        pool.close();
    }

    @Benchmark @Group("pool") @GroupThreads(1)
    public Block poolFetcher() {
        Block b = pool.tryLease(); // null only while all 64 are in the queue or being released
        if (b != null) {
            for (int spins = 0; !blocks.offer(b); spins++) {
                if (spins == MAX_SPINS) {
                    b.release();
                    return null;
                }
                Thread.yield(); // not onSpinWait: on 2 busy cores the other side may need this CPU
            }
        }
        return b;
    }

    @Benchmark @Group("pool") @GroupThreads(1)
    public Block poolTask() {
        Block b;
        for (int spins = 0; (b = blocks.poll()) == null && spins < MAX_SPINS; spins++) {
            Thread.yield(); // not onSpinWait: on 2 busy cores the other side may need this CPU
        }
        if (b != null) {
            b.release();
        }
        return b;
    }

    @Benchmark @Group("netty") @GroupThreads(1)
    public ByteBuf nettyFetcher() {
        ByteBuf b = netty.directBuffer(BLOCK_SIZE, BLOCK_SIZE);
        for (int spins = 0; !buffers.offer(b); spins++) {
            if (spins == MAX_SPINS) {
                b.release();
                return null;
            }
            Thread.yield(); // not onSpinWait: on 2 busy cores the other side may need this CPU
        }
        return b;
    }

    @Benchmark @Group("netty") @GroupThreads(1)
    public ByteBuf nettyTask() {
        ByteBuf b;
        for (int spins = 0; (b = buffers.poll()) == null && spins < MAX_SPINS; spins++) {
            Thread.yield(); // not onSpinWait: on 2 busy cores the other side may need this CPU
        }
        if (b != null) {
            b.release();
        }
        return b;
    }
}
