package dev.reservoir.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * The worker's thread pool: a fixed number of long-lived runner threads (platform or virtual, by
 * the factory) taking items from one FIFO queue. Unlike a ThreadPoolExecutor it lets the owner take
 * back the items nobody has started ({@link #takeQueued}), which is how a draining worker hands
 * prefetched tasks back to the shared queue; and its size never changes, so "threads" means what
 * it says for virtual threads too.
 *
 * <p>Lifecycle: NEW → {@link #start} → RUNNING → {@link #stop} → STOPPED. The queue is thread-safe;
 * {@code threads} is written only by start/stop under {@code this}.
 */
public final class RunnerPool<T> {
    private final Object poison = new Object();
    private final LinkedBlockingDeque<Object> queue = new LinkedBlockingDeque<>();
    private final int size;
    private final ThreadFactory factory;
    private final Consumer<T> action;
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

    /** Queues an item; a free runner picks it up. Never blocks (the caller bounds what it queues). */
    public void submit(T item) {
        queue.addLast(item);
    }

    /** Removes and returns every item not yet taken by a runner. */
    @SuppressWarnings("unchecked")
    public List<T> takeQueued() {
        List<Object> taken = new ArrayList<>();
        queue.drainTo(taken);
        List<T> items = new ArrayList<>(taken.size());
        for (Object o : taken) {
            if (o == poison) {
                queue.addLast(o);
            } else {
                items.add((T) o);
            }
        }
        return items;
    }

    public int queued() {
        return queue.size();
    }

    @SuppressWarnings("unchecked")
    private void loop() {
        while (true) {
            Object item;
            try {
                item = queue.takeFirst();
            } catch (InterruptedException e) {
                continue; // a stray interrupt (e.g. a timeout that raced the end of a task): keep serving
            }
            if (item == poison) {
                return;
            }
            action.accept((T) item);
        }
    }

    /** Lets runners finish their current item, then stops them (queued items are left to {@link #takeQueued}). */
    public synchronized void stop(java.time.Duration wait) {
        for (int i = 0; i < threads.size(); i++) {
            queue.addFirst(poison);
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
