package dev.reservoir.client.cli;

/** A failure the CLI reports as one line with an exit code. */
final class CliException extends RuntimeException {
    final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }
}
