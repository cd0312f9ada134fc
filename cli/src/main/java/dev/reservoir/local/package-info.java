/**
 * Local mode: a supervised pool of worker JVMs on this machine ({@link dev.reservoir.local.LocalPool}), kept by
 * the same planner as the operator (dev.reservoir.pool), configured from the same WorkerPool YAML
 * ({@link dev.reservoir.local.PoolSpecParser}). See docs/local-mode.md.
 */
package dev.reservoir.local;
