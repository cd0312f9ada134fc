package dev.reservoir.client;

import java.time.Duration;

/**
 * Client-wide settings.
 *
 * @param password        Redis password given apart from the URL (null: the URL's, if any)
 * @param reconnectGrace  after the reply connection breaks, how long the reader keeps reconnecting
 *                        before it fails the waiting futures with {@link ReservoirConnectionException}
 * @param submitBatch     most XADDs the submitter pipelines in one round trip
 */
public record ClientOptions(String password, Duration reconnectGrace, int submitBatch) {

    public ClientOptions {
        if (submitBatch < 1) {
            throw new IllegalArgumentException("submitBatch: must be at least 1, got " + submitBatch);
        }
    }

    public static ClientOptions defaults() {
        return new ClientOptions(null, Duration.ofSeconds(30), 512);
    }

    public ClientOptions withPassword(String p) {
        return new ClientOptions(p, reconnectGrace, submitBatch);
    }

    public ClientOptions withReconnectGrace(Duration d) {
        return new ClientOptions(password, d, submitBatch);
    }
}
