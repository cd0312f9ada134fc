package dev.reservoir.client;

/**
 * Redis could not be reached or the connection broke. Tasks that Redis had already accepted are not
 * lost: workers still run them and keep their results for the result TTL ({@link Pool#get(String)}).
 */
public class ReservoirConnectionException extends ReservoirException {
    public ReservoirConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
