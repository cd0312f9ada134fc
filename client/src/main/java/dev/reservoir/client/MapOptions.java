package dev.reservoir.client;

/**
 * Settings of {@link Pool#map} and {@link Pool#imap}.
 *
 * @param maxInFlight tasks submitted and not yet consumed by the caller; the input is read lazily, so
 *                    a million-item batch holds at most this many payloads and results in memory and
 *                    at most this many tasks in Redis
 * @param chunkSize   tasks handed to the submitter as one pipelined batch (fewer round trips for
 *                    tiny tasks); each item is still its own task with its own result
 */
public record MapOptions(int maxInFlight, int chunkSize) {

    public MapOptions {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight: must be at least 1, got " + maxInFlight);
        }
        if (chunkSize < 1 || chunkSize > maxInFlight) {
            throw new IllegalArgumentException("chunkSize: must be between 1 and maxInFlight (" + maxInFlight + "), got " + chunkSize);
        }
    }

    public static MapOptions defaults() {
        return new MapOptions(1024, 64);
    }

    public MapOptions withMaxInFlight(int n) {
        return new MapOptions(n, Math.min(chunkSize, n));
    }

    public MapOptions withChunkSize(int n) {
        return new MapOptions(maxInFlight, n);
    }
}
