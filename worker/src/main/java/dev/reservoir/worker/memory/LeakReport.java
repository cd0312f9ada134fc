package dev.reservoir.worker.memory;

public record LeakReport(String owner, int blockIndex, Throwable whereTaken) {
}
