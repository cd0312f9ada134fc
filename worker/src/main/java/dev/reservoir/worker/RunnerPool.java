package dev.reservoir.worker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The worker's thread pool: a fixed number of long-lived runner threads (platform or virtual, by
 * the factory) taking items from one FIFO queue. Unlike a ThreadPoolExecutor it lets the owner take
 * back the items nobody has started ({@link #takeQueued}), which is how a draining worker hands
 * prefetched tasks back to the shared queue; and its size never changes, so "threads" means what
 * it says for virtual threads too.
 *
 * <p>Lifecycle: NEW → {@link #start} → RUNNING → {@link #stop} → STOPPED. The queue and the idle
 * count are guarded by {@code lock}; {@code threads} is written only by start/stop under {@code this}.
 *
 * <p>An action that throws ends its runner, which is not replaced: what that means is for the thread
 * factory's uncaught-exception handler to decide (the worker's treats it as a fatal error).
 */
public final class RunnerPool<T> {
    private final Object poison = new Object();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    /** Guarded by lock. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    /** Guarded by lock: runners waiting for an item. */
    private int idle;
    /** Guarded by lock: a runner was signalled and has not woken yet (so a burst wakes one, not one per item). */
    private boolean waking;
    private final int size;
    private final ThreadFactory factory;
    private final Consumer<T> action;
    /** Guarded by this (start, stop). */
    private final List<Thread> threads = new ArrayList<>();

    public RunnerPool(int size, ThreadFactory factory, Consumer<T> action) {
        this.size = size;
        this.factory = factory;
        this.action = action;
    }

    public synchronized RunnerPool<T> start() {
        for (int i = 0; i < size; i++) {
            Thread t = factory.newThread(this::loop);
            threads.add(t);
            t.start();
        }
        return this;
    }

    /**
     * Queues an item; a free runner picks it up. Never blocks (the caller bounds what it queues).
     *
     * <p>Waking a thread is the expensive part of a hand-off, so a burst of items wakes one runner; each
     * runner that takes an item and sees more queued wakes the next one. Long tasks still spread over
     * every runner (one wake-up apart); tiny tasks are mostly run by the first runner before the next one
     * is even awake, instead of costing a wake-up each.
     */
    public void submit(T item) {
        lock.lock();
        try {
            queue.addLast(item);
            wakeOneIfNeeded();
        } finally {
            lock.unlock();
        }
    }

    /** Guarded by lock (caller holds it). */
    private void wakeOneIfNeeded() {
        if (!queue.isEmpty() && idle > 0 && !waking) {
            waking = true;
            notEmpty.signal();
        }
    }

    /** Removes and returns every item not yet taken by a runner. */
    @SuppressWarnings("unchecked")
    public List<T> takeQueued() {
        lock.lock();
        try {
            List<T> items = new ArrayList<>(queue.size());
            for (var it = queue.iterator(); it.hasNext(); ) {
                Object o = it.next();
                if (o != poison) {
                    items.add((T) o);
                    it.remove();
                }
            }
            return items;
        } finally {
            lock.unlock();
        }
    }

    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    @SuppressWarnings("unchecked")
    private void loop() {
        while (true) {
            Object item;
            lock.lock();
            try {
                while (queue.isEmpty()) {
                    idle++;
                    try {
                        notEmpty.await();
                    } catch (InterruptedException e) {
                        // a stray interrupt (e.g. a timeout that raced the end of a task): keep serving
                    } finally {
                        idle--;
                        waking = false;
                    }
                }
                item = queue.pollFirst();
                if (item == poison) {
                    wakeOneIfNeeded(); // the other runners' poison
                    return;
                }
                wakeOneIfNeeded(); // more queued: the next runner takes it while this one runs
            } finally {
                lock.unlock();
            }
            action.accept((T) item);
        }
    }

    /** Lets runners finish their current item, then stops them (queued items are left to {@link #takeQueued}). */
    public synchronized void stop(java.time.Duration wait) {
        lock.lock();
        try {
            for (int i = 0; i < threads.size(); i++) {
                queue.addFirst(poison);
            }
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        for (Thread t : threads) {
            try {
                t.join(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
