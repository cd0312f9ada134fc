package dev.reservoir.cli;

/** A failure the CLI reports as one line with an exit code. */
public final class CliException extends RuntimeException {
    final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }
}
