package dev.reservoir.worker.memory;

/**
 * How much the pool records about each lease so that a lease never released can be reported with
 * where it was taken.
 */
public enum LeakDetection {
    /** Leaks are still detected and counted (scope close, pool close), but without a stack trace. Allocation-free. */
    OFF,
    /** Records where-taken (a stack trace) for about 1 lease in {@value MemoryPool#SAMPLE_ONE_IN}. The default. */
    SAMPLED,
    /** Records where-taken for every lease: for tests and for hunting a leak; costs a stack trace per lease. */
    PARANOID
}
