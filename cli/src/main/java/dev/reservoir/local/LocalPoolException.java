package dev.reservoir.local;

/** Local mode could not start or keep its pool; the message says what failed and where its log is. */
public class LocalPoolException extends RuntimeException {
    public LocalPoolException(String message) {
        super(message);
    }

    public LocalPoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
