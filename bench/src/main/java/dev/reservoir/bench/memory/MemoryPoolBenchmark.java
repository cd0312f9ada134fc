package dev.reservoir.bench.memory;

import dev.reservoir.worker.memory.Block;
import dev.reservoir.worker.memory.LeakDetection;
import dev.reservoir.worker.memory.MemoryPool;
import dev.reservoir.worker.memory.MemoryPoolConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lease + release of one block, at 1 and 2 threads (figures are per thread), against what a worker would
 * use without the pool. Every variant gets a block of the same size and gives it back; none writes to the
 * bytes, so this is the cost of the allocator alone, which for the pool includes zeroing the block on
 * release (the others zero on allocation, or not at all).
 *
 * <ul>
 *   <li>{@code pool}: {@link MemoryPool}, leak detection OFF (the hot path the runtime uses).</li>
 *   <li>{@code poolSampled}: the same with SAMPLED leak detection (the default config).</li>
 *   <li>{@code poolPayload}: the pool, released with {@link Block#releaseWritten} of {@value #PAYLOAD_BYTES}
 *       bytes, as the runtime releases a payload block ({@code pool} clears the whole block, as a scratch
 *       block is cleared).</li>
 *   <li>{@code sharedFreeList}: one lock-free free list shared by all threads, the design the pool avoids.</li>
 *   <li>{@code nettyPooled}: Netty's {@code PooledByteBufAllocator}, direct buffers, thread caches on for all
 *       threads and allowed to cache this size ({@code io.netty.allocator.maxCachedBufferCapacity}).</li>
 *   <li>{@code allocateDirect}: {@code ByteBuffer.allocateDirect}, freed by the GC (zeroes each buffer).</li>
 *   <li>{@code confinedArena}: a confined {@code Arena} per block, closed at once (malloc/free + zeroing).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", // Netty 4.1 uses sun.misc.Unsafe; silence JDK 25's warning
        "-Dio.netty.allocator.maxCachedBufferCapacity=65536",
        "-Dio.netty.allocator.useCacheForAllThreads=true"})
@State(Scope.Benchmark)
public class MemoryPoolBenchmark {

    @Param("65536")
    int blockSize;

    private MemoryPool pool;
    private MemoryPool sampledPool;
    private SharedFreeList sharedFreeList;
    private PooledByteBufAllocator netty;

    @Setup(Level.Trial)
    public void setUp() {
        // Enough blocks that every thread finds one without growing or waiting: this measures the fast path.
        pool = new MemoryPool(new MemoryPoolConfig(blockSize, 64, 64, LeakDetection.OFF));
        sampledPool = new MemoryPool(new MemoryPoolConfig(blockSize, 64, 64, LeakDetection.SAMPLED));
        sharedFreeList = new SharedFreeList(blockSize, 64);
        netty = new PooledByteBufAllocator(true, 0, PooledByteBufAllocator.defaultNumDirectArena(),
                PooledByteBufAllocator.defaultPageSize(), PooledByteBufAllocator.defaultMaxOrder(),
                PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(), true);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        sampledPool.close();
        sharedFreeList.close();
    }

    private Block poolLeaseRelease(MemoryPool p) {
        Block b = p.tryLease();
        b.release();
        return b;
    }

    /** A payload of a typical task: small next to the block that holds it. */
    static final int PAYLOAD_BYTES = 1024;

    @Benchmark @Threads(1)
    public Block poolPayload_1t() {
        Block b = pool.tryLease();
        b.releaseWritten(PAYLOAD_BYTES);
        return b;
    }

    private int sharedLeaseRelease() {
        int index = sharedFreeList.lease();
        sharedFreeList.release(index);
        return index;
    }

    private ByteBuf nettyLeaseRelease() {
        ByteBuf buf = netty.directBuffer(blockSize, blockSize);
        buf.release();
        return buf;
    }

    private MemorySegment confinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            return arena.allocate(blockSize, 8);
        }
    }

    @Benchmark @Threads(1)
    public Block pool_1t() {
        return poolLeaseRelease(pool);
    }

    @Benchmark @Threads(2)
    public Block pool_2t() {
        return poolLeaseRelease(pool);
    }

    @Benchmark @Threads(1)
    public Block poolSampled_1t() {
        return poolLeaseRelease(sampledPool);
    }

    @Benchmark @Threads(1)
    public int sharedFreeList_1t() {
        return sharedLeaseRelease();
    }

    @Benchmark @Threads(2)
    public int sharedFreeList_2t() {
        return sharedLeaseRelease();
    }

    @Benchmark @Threads(1)
    public ByteBuf nettyPooled_1t() {
        return nettyLeaseRelease();
    }

    @Benchmark @Threads(2)
    public ByteBuf nettyPooled_2t() {
        return nettyLeaseRelease();
    }

    @Benchmark @Threads(1)
    public ByteBuffer allocateDirect_1t() {
        return ByteBuffer.allocateDirect(blockSize);
    }

    @Benchmark @Threads(2)
    public ByteBuffer allocateDirect_2t() {
        return ByteBuffer.allocateDirect(blockSize);
    }

    @Benchmark @Threads(1)
    public MemorySegment confinedArena_1t() {
        return confinedArena();
    }
}
