package dev.reservoir.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.cli.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The whole reservoir command as bin/reservoir runs it: the CLI module's commands plus demo and bench. */
class ReservoirMainTest {
    record Run(int exit, String out, String err) {
    }

    static synchronized Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = ReservoirMain.execute(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : List.of("demo", "local", "submit", "apply", "map", "get", "status", "bench")) {
            Run r = run(command, "--help");
            assertThat(r.exit()).as(command).isZero();
            assertThat(r.out()).as(command).contains("Usage: reservoir " + command);
        }
        Run top = run("--help");
        assertThat(top.out()).contains("Exit codes:").contains("demo").contains("bench").contains("Start here:  reservoir demo");
        Run bare = run();
        assertThat(bare.out()).as("no command: the usage, with demo and bench").contains("demo").contains("bench");
    }

    @Test
    void badOptionsOfTheBenchCommandsAreUsageErrors() {
        Run workload = run("bench", "--workload", "fastest");
        assertThat(workload.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(workload.err()).isEqualTo("error: --workload: unknown workload 'fastest' (use noop, sleep, cpu, latency)\n");
        Run tasks = run("demo", "--tasks", "0");
        assertThat(tasks.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(tasks.err()).isEqualTo("error: --tasks: must be at least 1, got 0\n");
    }
}
