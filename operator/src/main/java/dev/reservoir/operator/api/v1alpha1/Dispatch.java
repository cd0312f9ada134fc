package dev.reservoir.operator.api.v1alpha1;

/**
 * How submitters route tasks: every worker reads the one shared stream, or the submitter picks a
 * live worker (in turn or at random) and writes to its inbox.
 */
public enum Dispatch {
    SharedQueue,
    RoundRobin,
    Random
}
