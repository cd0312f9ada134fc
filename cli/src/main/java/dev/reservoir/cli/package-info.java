/**
 * The {@code reservoir} command ({@link dev.reservoir.cli.ReservoirCli}, picocli): submit, apply, map, get and status
 * against a running pool, and {@code local} to run a WorkerPool on this machine ({@link dev.reservoir.local}).
 * Errors are one line with an exit code ({@link dev.reservoir.cli.ExitCodes}). See docs/client.md.
 */
package dev.reservoir.cli;
