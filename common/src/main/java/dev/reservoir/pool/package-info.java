/**
 * Pool keeping: the pure decision of which workers to start, drain and stop, shared by the
 * operator (workers are pods) and local mode (workers are child processes).
 *
 * <p>Both callers are level-triggered reconcilers. Every pass they observe their workers
 * ({@link dev.reservoir.pool.ObservedWorker}), ask {@link dev.reservoir.pool.Expectations} what they
 * asked for but cannot see yet, call {@link dev.reservoir.pool.PoolPlanner#plan}, carry out the
 * {@link dev.reservoir.pool.Plan} and record what they did as new expectations. Nothing in this
 * package reads a clock, does I/O or logs: time is passed in, so every decision is reproducible in a
 * unit test. docs/pool-keeping.md describes the rules and the worker lifecycle.
 */
package dev.reservoir.pool;
