package dev.reservoir.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The results of {@link Pool#imap}, in input order. Reads the input lazily and keeps at most
 * {@code maxInFlight} tasks submitted and not yet returned by {@link #next()}: when the caller stops
 * pulling, submission stops too. Not thread-safe (one consumer, like any iterator).
 *
 * <p>{@link #close()} stops reading the input; tasks already submitted still run.
 */
public final class ResultIterator implements Iterator<Result>, AutoCloseable {
    private final Pool pool;
    private final String handler;
    private final Iterator<byte[]> input;
    private final MapOptions options;
    /** Futures of submitted tasks, oldest first. Confined to the consuming thread. */
    private final ArrayDeque<PendingTask> window = new ArrayDeque<>();
    private boolean closed;
    private long submitted;
    private long returned;

    ResultIterator(Pool pool, String handler, Iterator<byte[]> input, MapOptions options) {
        this.pool = pool;
        this.handler = handler;
        this.input = input;
        this.options = options;
    }

    private void refill() {
        // Top the window up a whole chunk at a time, so each chunk is one pipelined batch.
        while (!closed && window.size() + options.chunkSize() <= options.maxInFlight() && input.hasNext()) {
            List<byte[]> chunk = new ArrayList<>(options.chunkSize());
            while (chunk.size() < options.chunkSize() && input.hasNext()) {
                chunk.add(input.next());
            }
            window.addAll(pool.submitChunk(handler, chunk));
            submitted += chunk.size();
        }
    }

    @Override
    public boolean hasNext() {
        refill();
        return !window.isEmpty();
    }

    /**
     * The next result in input order, waiting for it until its deadline
     * ({@link PoolOptions#outcomeDeadline()} from its submission), after which its stored outcome is
     * looked up once.
     *
     * @throws TaskFailedException          this item failed (iteration may go on)
     * @throws TaskOutcomeUnknownException  no outcome by its deadline and none stored (iteration may go on)
     */
    @Override
    public Result next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        PendingTask head = window.poll();
        returned++;
        // Submit the next chunk before waiting, so the pool never idles on the consumer.
        refill();
        return pool.awaitOutcome(head);
    }

    /** Tasks submitted and not yet returned (never above maxInFlight). */
    public int inFlight() {
        return window.size();
    }

    public long submitted() {
        return submitted;
    }

    public long returned() {
        return returned;
    }

    public Stream<Result> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED), false).onClose(this::close);
    }

    @Override
    public void close() {
        closed = true;
    }
}
