package dev.reservoir.worker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {
    private static final Duration LONG = Duration.ofMinutes(2); // only a bound: these waits end when a block is released

    private static MemoryPool pool(int blockSize, int initial, int max, LeakDetection detection) {
        return new MemoryPool(new MemoryPoolConfig(blockSize, initial, max, detection));
    }

    /** The block holds {@code own} in its first {@code ownBytes} bytes (what its holder wrote) and zeros after: no byte of an earlier lease. */
    private static void assertOnlyOwnBytes(Block b, int ownBytes, byte own) {
        byte[] bytes = b.segment().toArray(ValueLayout.JAVA_BYTE);
        for (int i = 0; i < bytes.length; i++) {
            byte expected = i < ownBytes ? own : 0;
            if (bytes[i] != expected) {
                throw new AssertionError("block " + b.index() + " byte " + i + " is " + bytes[i] + ", expected " + expected
                        + " (a byte of an earlier lease)");
            }
        }
    }

    @Test
    void aLeaseSeesNoByteOfAnEarlierLeaseOfTheSameBlock() throws Exception {
        // One block, so every lease below is of the same memory.
        try (MemoryPool pool = pool(4096, 1, 1, LeakDetection.OFF)) {
            Block first = pool.lease(LONG);
            assertOnlyOwnBytes(first, 0, (byte) 0); // a new slab is zeroed too
            first.segment().fill((byte) 0x5A); // task 1's secret, every byte
            int index = first.index();
            first.release();

            Block second = pool.lease(LONG);
            assertThat(second.index()).isEqualTo(index);
            second.segment().asSlice(0, 100).fill((byte) 7); // task 2 writes only its first 100 bytes
            assertOnlyOwnBytes(second, 100, (byte) 7);
            second.segment().fill((byte) 0x5A);
            // Released on another thread (a handler's helper): cleared there, before any lease can take it.
            CompletableFuture.runAsync(second::release).get();

            Block third = pool.lease(LONG);
            assertOnlyOwnBytes(third, 0, (byte) 0);
            third.release();
        }
    }

    @Test
    void releaseWrittenClearsThePrefixItsHolderWrote() throws Exception {
        try (MemoryPool pool = pool(4096, 1, 1, LeakDetection.OFF)) {
            Block payload = pool.lease(LONG);
            payload.segment().asSlice(0, 1000).fill((byte) 0x5A); // the runtime's payload copy
            assertThatThrownBy(() -> payload.releaseWritten(4097)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> payload.releaseWritten(-1)).isInstanceOf(IllegalArgumentException.class);
            payload.releaseWritten(1000);

            Block next = pool.lease(LONG);
            assertOnlyOwnBytes(next, 0, (byte) 0);
            next.releaseWritten(0);
            assertThatThrownBy(() -> next.releaseWritten(0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aScratchBlockLeftToItsScopeIsClearedBeforeTheNextTaskLeasesIt() throws Exception {
        try (MemoryPool pool = pool(4096, 1, 1, LeakDetection.SAMPLED)) {
            pool.onLeak(report -> { }); // the leak is the point here, not worth a warning
            LeaseScope task1 = pool.openScope("task-1");
            task1.scratch().segment().fill((byte) 0x5A); // never released: the scope's close gives it back
            task1.close();

            try (LeaseScope task2 = pool.openScope("task-2")) {
                Block b = task2.scratch();
                b.segment().set(ValueLayout.JAVA_LONG, 8, -1L);
                byte[] bytes = b.segment().toArray(ValueLayout.JAVA_BYTE);
                for (int i = 0; i < bytes.length; i++) {
                    assertThat(bytes[i]).as("byte %d", i).isEqualTo(i >= 8 && i < 16 ? (byte) -1 : (byte) 0);
                }
            }
        }
    }

    @Test
    void aBlockReleasedAfterThePoolClosedIsNotClearedAndDoesNotThrow() throws Exception {
        MemoryPool pool = pool(4096, 1, 1, LeakDetection.OFF);
        pool.onLeak(report -> { });
        Block b = pool.lease(LONG);
        pool.close();
        b.release(); // the runtime's finally after a pool close: the arena is gone, nothing to clear
        assertThat(pool.isClosed()).isTrue();
    }

    @Test
    void leaseGivesAWritableBlockAndReleaseReturnsIt() throws Exception {
        try (MemoryPool pool = pool(4096, 4, 4, LeakDetection.OFF)) {
            Block b = pool.lease(LONG);
            assertThat(b.segment().byteSize()).isEqualTo(4096);
            assertThat(b.segment().address() % 8).isZero();
            b.segment().set(ValueLayout.JAVA_LONG, 4088, 0xCAFEBABEL);
            assertThat(b.segment().get(ValueLayout.JAVA_LONG, 4088)).isEqualTo(0xCAFEBABEL);
            assertThat(pool.stats().blocksInUse()).isEqualTo(1);

            b.release();

            MemoryPoolStats stats = pool.stats();
            assertThat(stats.blocksInUse()).isZero();
            assertThat(stats.blocksFree()).isEqualTo(4);
            assertThat(stats.leases()).isEqualTo(1);
            assertThat(stats.highWater()).isEqualTo(1);
            assertThat(stats.growths()).isZero();
        }
    }

    @Test
    void blocksAreDistinctAndDoNotOverlap() {
        try (MemoryPool pool = pool(64, 16, 16, LeakDetection.OFF)) {
            List<Block> all = new ArrayList<>();
            for (Block b; (b = pool.tryLease()) != null; ) {
                all.add(b);
            }
            assertThat(all).hasSize(16);
            assertThat(all.stream().map(Block::index).distinct()).hasSize(16);
            for (Block b : all) {
                b.segment().fill((byte) b.index());
            }
            for (Block b : all) {
                assertThat(b.segment().toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) b.index());
            }
            all.forEach(Block::release);
            assertThat(pool.stats().blocksInUse()).isZero();
        }
    }

    @Test
    void growsBySlabsUpToMaxBlocksThenTryLeaseReturnsNull() {
        try (MemoryPool pool = pool(64, 4, 10, LeakDetection.OFF)) {
            assertThat(pool.stats().blocksAllocated()).isEqualTo(4);
            List<Block> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(pool.tryLease());
            }
            assertThat(pool.stats().blocksAllocated()).isEqualTo(4);
            held.add(pool.tryLease());
            assertThat(pool.stats().blocksAllocated()).isEqualTo(8); // one slab of initialBlocks
            for (int i = 0; i < 5; i++) {
                held.add(pool.tryLease());
            }
            MemoryPoolStats stats = pool.stats();
            assertThat(stats.blocksAllocated()).isEqualTo(10); // the last slab is clamped to maxBlocks
            assertThat(stats.growths()).isEqualTo(2);
            assertThat(held).doesNotContainNull().hasSize(10);

            assertThat(pool.tryLease()).isNull();
            assertThat(pool.stats().blocksAllocated()).isEqualTo(10);
            assertThat(pool.stats().highWater()).isEqualTo(10);

            held.forEach(Block::release);
            assertThat(pool.stats().blocksInUse()).isZero();
            assertThat(pool.stats().highWater()).isEqualTo(10);
        }
    }

    @Test
    void highWaterCountsBlocksHeldAtOnceOnDifferentThreadsEvenAfterEachStripeSettled() throws Exception {
        try (MemoryPool pool = pool(64, 8, 8, LeakDetection.OFF)) {
            int alone = 100;
            int rounds = alone + 3 * Stripe.PERIODIC_SAMPLE_EVERY;
            java.util.concurrent.CyclicBarrier step = new java.util.concurrent.CyclicBarrier(2);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            // First each thread leases and releases while the other holds nothing (the high-water mark
            // settles at 1 and so does each stripe's own maximum); then they hold one block each at once,
            // which only the periodic sample can see.
            Thread first = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < rounds; i++) {
                        Block b = pool.lease(LONG);
                        if (i < alone) {
                            b.release();
                            step.await(); // second may lease now
                            step.await(); // second has released
                        } else {
                            step.await(); // second may lease now, while we hold ours
                            step.await(); // second holds its block
                            b.release();
                            step.await(); // both released
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            });
            Thread second = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < rounds; i++) {
                        step.await();
                        Block b = pool.lease(LONG);
                        if (i < alone) {
                            b.release();
                            step.await();
                        } else {
                            step.await();
                            b.release();
                            step.await();
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            });
            first.join();
            second.join();
            assertThat(failures).isEmpty();
            assertThat(pool.stats().blocksInUse()).isZero(); // stats() itself cannot have seen the peak
            assertThat(pool.stats().highWater()).isEqualTo(2);
        }
    }

    @Test
    void waiterGetsTheBlockAnotherThreadReleases() throws Exception {
        try (MemoryPool pool = pool(64, 2, 2, LeakDetection.OFF)) {
            Block first = pool.lease(LONG);
            Block second = pool.lease(LONG);
            CompletableFuture<Block> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return pool.lease(LONG);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, Executors.newVirtualThreadPerTaskExecutor());
            await().until(() -> pool.stats().waits() == 1);
            assertThat(waiter).isNotDone();

            Thread releaser = Thread.ofPlatform().start(second::release);
            releaser.join();

            Block got = waiter.get();
            assertThat(got.index()).isEqualTo(second.index());
            MemoryPoolStats stats = pool.stats();
            assertThat(stats.waits()).isEqualTo(1);
            assertThat(stats.waitTimeouts()).isZero();
            assertThat(stats.blocksInUse()).isEqualTo(2);
            got.release();
            first.release();
        }
    }

    @Test
    void boundedWaitFailsWithAMessageNamingTheSettings() throws Exception {
        try (MemoryPool pool = pool(64, 2, 2, LeakDetection.OFF)) {
            Block a = pool.lease(LONG);
            Block b = pool.lease(LONG);

            assertThatThrownBy(() -> pool.lease(Duration.ofMillis(20)))
                    .isInstanceOf(MemoryPoolExhaustedException.class)
                    .hasMessageContaining("memoryPool.blockSize=64")
                    .hasMessageContaining("memoryPool.maxBlocks=2")
                    .hasMessageContaining("Raise memoryPool.maxBlocks")
                    .satisfies(e -> {
                        MemoryPoolExhaustedException x = (MemoryPoolExhaustedException) e;
                        assertThat(x.maxBlocks()).isEqualTo(2);
                        assertThat(x.blockSize()).isEqualTo(64);
                    });
            assertThatThrownBy(() -> pool.lease(Duration.ZERO)).isInstanceOf(MemoryPoolExhaustedException.class);
            MemoryPoolStats stats = pool.stats();
            assertThat(stats.waits()).isEqualTo(2);
            assertThat(stats.waitTimeouts()).isEqualTo(2);
            assertThat(stats.blocksInUse()).isEqualTo(2);
            a.release();
            b.release();
            Block again = pool.lease(Duration.ZERO);
            assertThat(again).isNotNull();
            again.release();
        }
    }

    @Test
    void anUnboundedWaitIsAccepted() throws Exception {
        try (MemoryPool pool = pool(64, 1, 1, LeakDetection.OFF)) {
            Block only = pool.lease(LONG);
            CompletableFuture<Block> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return pool.lease(java.time.temporal.ChronoUnit.FOREVER.getDuration());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, Executors.newVirtualThreadPerTaskExecutor());
            await().until(() -> pool.stats().waits() == 1);
            only.release();
            waiter.get().release();
            assertThat(pool.stats().waitTimeouts()).isZero();
        }
    }

    @Test
    void doubleReleaseIsRejectedAndTheFreeListStaysIntact() {
        try (MemoryPool pool = pool(64, 4, 4, LeakDetection.OFF)) {
            Block b = pool.tryLease();
            b.release();
            assertThatThrownBy(b::release)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("memory block " + b.index() + " released twice");

            Set<Integer> indexes = new HashSet<>();
            List<Block> held = new ArrayList<>();
            for (Block x; (x = pool.tryLease()) != null; ) {
                assertThat(indexes.add(x.index())).as("block %s handed out twice", x.index()).isTrue();
                held.add(x);
            }
            assertThat(indexes).hasSize(4);
            assertThat(pool.stats().blocksInUse()).isEqualTo(4);
            held.forEach(Block::release);
        }
    }

    @Test
    void racingReleasesOfOneLeaseLetExactlyOneWin() throws Exception {
        try (MemoryPool pool = pool(64, 8, 8, LeakDetection.OFF);
             ExecutorService threads = Executors.newFixedThreadPool(4)) {
            for (int round = 0; round < 200; round++) {
                Block b = pool.tryLease();
                CountDownLatch go = new CountDownLatch(1);
                AtomicInteger wins = new AtomicInteger();
                AtomicInteger rejected = new AtomicInteger();
                List<Future<?>> racers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    racers.add(threads.submit(() -> {
                        go.await();
                        try {
                            b.release();
                            wins.incrementAndGet();
                        } catch (IllegalStateException e) {
                            rejected.incrementAndGet();
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : racers) {
                    f.get();
                }
                assertThat(wins.get()).isEqualTo(1);
                assertThat(rejected.get()).isEqualTo(3);
            }
            assertThat(pool.stats().blocksInUse()).isZero();
            assertThat(pool.checkInvariants()).isTrue();
        }
    }

    @Test
    void blocksLeasedOnOneThreadAreReleasedOnOthers() throws Exception {
        try (MemoryPool pool = pool(64, 8, 16, LeakDetection.OFF);
             ExecutorService tasks = Executors.newVirtualThreadPerTaskExecutor()) {
            int payloads = 5_000;
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < payloads; i++) { // this thread is the fetcher
                Block b = pool.lease(LONG);
                long marker = i;
                b.segment().set(ValueLayout.JAVA_LONG, 0, marker);
                done.add(tasks.submit(() -> {
                    assertThat(b.segment().get(ValueLayout.JAVA_LONG, 0)).isEqualTo(marker);
                    b.release();
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            MemoryPoolStats stats = pool.stats();
            assertThat(stats.blocksInUse()).isZero();
            assertThat(stats.leases()).isEqualTo(payloads);
            assertThat(stats.blocksAllocated()).isLessThanOrEqualTo(16);
        }
    }

    @Test
    void concurrentStressOnPlatformAndVirtualThreadsNeverHandsABlockOutTwice() throws Exception {
        int platform = 4;
        int virtual = 2_000;
        int opsPerPlatform = 20_000;
        int opsPerVirtual = 50;
        try (MemoryPool pool = pool(64, 8, 32, LeakDetection.SAMPLED)) {
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger markers = new AtomicInteger();
            Runnable worker = () -> {
                long marker = markers.incrementAndGet();
                int ops = Thread.currentThread().isVirtual() ? opsPerVirtual : opsPerPlatform;
                for (int i = 0; i < ops; i++) {
                    try {
                        Block b = (i & 1) == 0 ? pool.lease(LONG) : pool.tryLease();
                        if (b == null) {
                            continue; // tryLease at maxBlocks with all leased: fine
                        }
                        b.segment().set(ValueLayout.JAVA_LONG, 0, marker);
                        b.segment().set(ValueLayout.JAVA_LONG, 56, marker);
                        if ((i & 7) == 0) {
                            Thread.yield(); // let others run while we hold it
                        }
                        long head = b.segment().get(ValueLayout.JAVA_LONG, 0);
                        long tail = b.segment().get(ValueLayout.JAVA_LONG, 56);
                        if (head != marker || tail != marker) {
                            failures.add("block " + b.index() + " held by " + marker + " was written by " + head + "/" + tail);
                        }
                        b.release();
                    } catch (Exception | AssertionError e) {
                        failures.add(e.toString());
                    }
                }
            };
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < platform; i++) {
                threads.add(Thread.ofPlatform().start(worker));
            }
            for (int i = 0; i < virtual; i++) {
                threads.add(Thread.ofVirtual().start(worker));
            }
            for (Thread t : threads) {
                t.join();
            }

            assertThat(failures).isEmpty();
            MemoryPoolStats stats = pool.stats();
            assertThat(stats.blocksInUse()).isZero();
            assertThat(stats.blocksFree()).isEqualTo(stats.blocksAllocated());
            assertThat(stats.blocksAllocated()).isBetween(8, 32);
            assertThat(stats.highWater()).isBetween(1, stats.blocksAllocated());
            assertThat(stats.leaks()).isZero();
            assertThat(pool.checkInvariants()).isTrue();
            Set<Integer> all = new HashSet<>();
            List<Block> held = new ArrayList<>();
            for (Block b; (b = pool.tryLease()) != null; ) {
                assertThat(all.add(b.index())).isTrue();
                held.add(b);
            }
            assertThat(all).hasSize(32); // every block reachable: after the stress the pool can still grow to max
            held.forEach(Block::release);
        }
    }

    @Test
    void exhaustedPoolUnderManyVirtualThreadsAppliesBackPressureWithoutLosingBlocks() throws Exception {
        try (MemoryPool pool = pool(64, 2, 4, LeakDetection.OFF)) {
            AtomicInteger concurrent = new AtomicInteger();
            AtomicInteger maxConcurrent = new AtomicInteger();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        Block b = pool.lease(LONG);
                        maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
                        Thread.yield();
                        concurrent.decrementAndGet();
                        b.release();
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures).isEmpty();
            assertThat(maxConcurrent.get()).isLessThanOrEqualTo(4);
            MemoryPoolStats stats = pool.stats();
            assertThat(stats.leases()).isEqualTo(500);
            assertThat(stats.blocksInUse()).isZero();
            assertThat(stats.blocksAllocated()).isEqualTo(4);
            assertThat(stats.waitTimeouts()).isZero();
        }
    }

    @Test
    void scopeReleasesLeftoversAndReportsEachLeakWithWhereItWasTaken() throws Exception {
        try (MemoryPool pool = pool(64, 8, 8, LeakDetection.PARANOID)) {
            List<LeakReport> reports = new CopyOnWriteArrayList<>();
            pool.onLeak(reports::add);
            Block forgotten;
            Block returned;
            try (LeaseScope scope = pool.openScope("task-42")) {
                forgotten = scope.lease(LONG);
                returned = scope.scratch();
                scope.tryLease(); // also forgotten
                returned.release();
                assertThat(scope.outstanding()).isEqualTo(2);
                assertThat(pool.stats().blocksInUse()).isEqualTo(2);
            }
            assertThat(reports).hasSize(2);
            assertThat(reports).allSatisfy(r -> {
                assertThat(r.owner()).isEqualTo("task-42");
                assertThat(r.whereTaken()).isNotNull();
                assertThat(r.whereTaken().getMessage()).contains("leased here by thread '" + Thread.currentThread().getName() + "'");
                assertThat(r.whereTaken().getStackTrace()[0].getClassName()).as("starts at the caller").isEqualTo(MemoryPoolTest.class.getName());
                assertThat(r.whereTaken().getStackTrace())
                        .anySatisfy(frame -> assertThat(frame.getMethodName()).isEqualTo("scopeReleasesLeftoversAndReportsEachLeakWithWhereItWasTaken"));
            });
            assertThat(reports).extracting(LeakReport::blockIndex).contains(forgotten.index()).doesNotContain(returned.index());
            MemoryPoolStats stats = pool.stats();
            assertThat(stats.blocksInUse()).isZero();
            assertThat(stats.leaks()).isEqualTo(2);
        }
    }

    @Test
    void scopeNeverReleasesALaterLeaseOfTheSameBlock() throws Exception {
        try (MemoryPool pool = pool(64, 1, 1, LeakDetection.OFF)) {
            List<LeakReport> reports = new CopyOnWriteArrayList<>();
            pool.onLeak(reports::add);
            LeaseScope scope = pool.openScope("task-1");
            Block mine = scope.lease(LONG);
            mine.release();
            Block someoneElses = pool.lease(LONG); // the same (only) block, leased again outside the scope
            assertThat(someoneElses.index()).isEqualTo(mine.index());

            scope.close();

            assertThat(reports).isEmpty();
            assertThat(pool.stats().blocksInUse()).isEqualTo(1);
            someoneElses.release();
            assertThatThrownBy(() -> scope.lease(LONG)).isInstanceOf(IllegalStateException.class).hasMessageContaining("task-1");
        }
    }

    @Test
    void scopeKeepsTrackingAcrossManyLeasesWithoutGrowingForReleasedOnes() throws Exception {
        try (MemoryPool pool = pool(64, 4, 4, LeakDetection.OFF)) {
            List<LeakReport> reports = new CopyOnWriteArrayList<>();
            pool.onLeak(reports::add);
            try (LeaseScope scope = pool.openScope("loop")) {
                Block kept = scope.lease(LONG);
                for (int i = 0; i < 1_000; i++) {
                    scope.scratch().release();
                }
                assertThat(scope.outstanding()).isEqualTo(1);
                assertThat(kept).isNotNull();
            }
            assertThat(reports).hasSize(1);
            assertThat(reports.getFirst().whereTaken()).isNull(); // OFF records no stack
            assertThat(reports.getFirst().describe()).contains("leakDetection=PARANOID");
        }
    }

    @Test
    void sampledDetectionRecordsSomeButNotAllLeases() {
        try (MemoryPool pool = pool(64, 1, 1, LeakDetection.SAMPLED)) {
            int recorded = 0;
            for (int i = 0; i < 5_000; i++) {
                Block b = pool.tryLease();
                if (b.whereTaken != null) {
                    recorded++;
                }
                b.release();
            }
            assertThat(recorded).isBetween(1, 500); // ~1 in 100; bounds wide enough never to flake
        }
    }

    @Test
    void closeReportsOutstandingLeasesFreesTheArenaAndFailsWaiters() throws Exception {
        MemoryPool pool = pool(64, 2, 2, LeakDetection.PARANOID);
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        pool.onLeak(reports::add);
        Block a = pool.lease(LONG);
        LeaseScope scope = pool.openScope("task-7");
        Block b = scope.lease(LONG);
        CompletableFuture<Object> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return pool.lease(LONG);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, Executors.newVirtualThreadPerTaskExecutor());
        await().until(() -> pool.stats().waits() == 1);

        pool.close();

        assertThat(reports).extracting(LeakReport::owner).containsExactlyInAnyOrder("unscoped", "task-7");
        assertThat(reports).allSatisfy(r -> assertThat(r.whereTaken()).isNotNull());
        assertThat(pool.isClosed()).isTrue();
        assertThatThrownBy(() -> a.segment().get(ValueLayout.JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(waiter::join).hasRootCauseInstanceOf(IllegalStateException.class).hasRootCauseMessage("memory pool closed");
        assertThatThrownBy(pool::tryLease).isInstanceOf(IllegalStateException.class).hasMessage("memory pool closed");
        assertThat(pool.stats().leaks()).isEqualTo(2);
        pool.close(); // idempotent
        scope.close(); // the task ends after the pool closed: its lease was reported once, by the pool
        assertThat(reports).hasSize(2);
        assertThat(pool.stats().leaks()).isEqualTo(2);
        assertThat(b.index()).isNotEqualTo(a.index());
    }

    @Test
    void leaseIsAllocationFreeWhenLeakDetectionIsOff() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (MemoryPool pool = pool(64, 4, 4, LeakDetection.OFF)) {
            for (int i = 0; i < 20_000; i++) { // warm up (and let the JIT settle)
                pool.tryLease().release();
            }
            long id = Thread.currentThread().threadId();
            long before = threads.getThreadAllocatedBytes(id);
            for (int i = 0; i < 100_000; i++) {
                Block b = pool.tryLease();
                b.release();
            }
            long allocated = threads.getThreadAllocatedBytes(id) - before;
            // 100k leases: even 1 byte each would be 100 KB; the slack covers the MXBean call itself.
            assertThat(allocated).isLessThan(4_096);
        }
    }
}
