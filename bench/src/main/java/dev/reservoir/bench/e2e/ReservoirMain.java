package dev.reservoir.bench.e2e;

import dev.reservoir.cli.ReservoirCli;
import java.util.List;

/**
 * The {@code reservoir} command as {@code bin/reservoir} runs it: the CLI module's commands plus this
 * module's {@code demo} and {@code bench}, which need HdrHistogram and the measuring code that the CLI
 * module leaves out.
 */
public final class ReservoirMain {
    private ReservoirMain() {
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return ReservoirCli.execute(List.of(new DemoCommand(), new BenchCommand()), args);
    }
}
