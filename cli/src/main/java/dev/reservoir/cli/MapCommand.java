package dev.reservoir.cli;

import dev.reservoir.client.MapOptions;
import dev.reservoir.client.PoolOptions;
import dev.reservoir.client.Reservoir;
import dev.reservoir.client.Result;
import dev.reservoir.client.ResultIterator;
import dev.reservoir.client.TaskFailedException;
import dev.reservoir.client.TaskOutcomeUnknownException;
import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "map", mixinStandardHelpOptions = true,
        header = "Run HANDLER over payloads (one per line) and print the results in input order.",
        description = {"Run HANDLER over payloads (one per line, from a file or stdin) and print the results in input order,",
                "one per line, as they arrive. Holds at most --max-in-flight tasks at a time, so any size of input streams.",
                "On a failed task: stops with exit 1, or with --keep-going prints '!TYPE: MESSAGE' in its place and exits 1 at the end."})
final class MapCommand implements Callable<Integer> {
    /** How --keep-going marks an item whose outcome never came back by its deadline (not one of the workers' error types). */
    static final String OUTCOME_UNKNOWN = "TaskOutcomeUnknown";

    @Mixin
    ConnectionOptions connection;

    @Parameters(index = "0", paramLabel = "HANDLER", description = "Handler to run, e.g. echo, sleep, sha256.")
    String handler;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", defaultValue = "-",
            description = "Payloads, one per line (default: stdin).")
    Path file;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "1024",
            description = "Most tasks submitted and not yet printed (default ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--chunk", paramLabel = "N", defaultValue = "64",
            description = "Tasks sent to Redis per pipelined batch (default ${DEFAULT-VALUE}).")
    int chunk;

    @Option(names = "--keep-going", description = "Print failures in place ('!TYPE: MESSAGE') and go on.")
    boolean keepGoing;

    @Option(names = "--deadline", paramLabel = "DURATION", defaultValue = "10m",
            description = {"How long after its submission a task's result is waited for (default ${DEFAULT-VALUE}); then its stored",
                    "result is looked up, else it counts as failed with TaskOutcomeUnknown (it may have run: 'reservoir get' it later)."})
    String deadline;

    @Override
    public Integer call() {
        MapOptions options;
        try {
            options = new MapOptions(maxInFlight, Math.min(chunk, maxInFlight));
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage().replace("maxInFlight", "--max-in-flight").replace("chunkSize", "--chunk"));
        }
        PoolOptions poolOptions;
        try {
            poolOptions = PoolOptions.defaults().withOutcomeDeadline(Cli.duration("--deadline", deadline));
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage().replace("outcomeDeadline", "--deadline"));
        }
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
        int failures = 0;
        try (Reservoir reservoir = connection.connect();
             ResultIterator results = reservoir.pool(connection.pool, poolOptions).imap(handler, Payloads.from(file), options)) {
            long line = 0;
            long lastFlush = System.nanoTime();
            while (results.hasNext()) {
                line++;
                try {
                    Result r = results.next();
                    out.write(r.value(), 0, r.value().length);
                    out.write('\n');
                } catch (TaskFailedException e) {
                    failures++;
                    if (!keepGoing) {
                        out.flush();
                        throw new CliException(ExitCodes.TASK_FAILED, "line " + line + ": task " + e.taskId() + " failed: " + e.errorType()
                                + ": " + e.errorMessage() + " (--keep-going prints failures in place and goes on)");
                    }
                    out.println("!" + e.errorType() + ": " + e.errorMessage());
                } catch (TaskOutcomeUnknownException e) {
                    failures++;
                    if (!keepGoing) {
                        out.flush();
                        throw new CliException(ExitCodes.TIMEOUT, "line " + line + ": " + e.getMessage()
                                + " (--deadline waits longer; --keep-going marks it in place and goes on)");
                    }
                    out.println("!" + OUTCOME_UNKNOWN + ": " + e.getMessage());
                }
                if (System.nanoTime() - lastFlush > 100_000_000L) {
                    out.flush(); // stream to a terminal or pipe without a write per line
                    lastFlush = System.nanoTime();
                }
            }
        } finally {
            out.flush();
        }
        if (failures > 0) {
            System.err.println("error: " + failures + " task(s) failed (marked '!' in the output)");
            return ExitCodes.TASK_FAILED;
        }
        return ExitCodes.OK;
    }
}
