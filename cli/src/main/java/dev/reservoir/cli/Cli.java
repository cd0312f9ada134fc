package dev.reservoir.cli;

import dev.reservoir.protocol.Quantities;
import java.time.Duration;

/** Small shared helpers of the commands. */
final class Cli {
    private Cli() {
    }

    static Duration duration(String option, String text) {
        try {
            return Quantities.parseDuration(option, text);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
    }

    static String uptime(long ms) {
        long s = Math.max(0, ms / 1000);
        if (s < 120) {
            return s + "s";
        }
        if (s < 7200) {
            return s / 60 + "m";
        }
        return s / 3600 + "h";
    }
}
