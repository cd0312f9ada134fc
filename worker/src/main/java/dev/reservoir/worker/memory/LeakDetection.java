package dev.reservoir.worker.memory;

public enum LeakDetection { OFF, SAMPLED, PARANOID }
