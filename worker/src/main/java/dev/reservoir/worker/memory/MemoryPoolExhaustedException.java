package dev.reservoir.worker.memory;

public class MemoryPoolExhaustedException extends Exception {
    public MemoryPoolExhaustedException(String message) {
        super(message);
    }
}
