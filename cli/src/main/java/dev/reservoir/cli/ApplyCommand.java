package dev.reservoir.cli;

import dev.reservoir.client.Reservoir;
import dev.reservoir.client.Result;
import dev.reservoir.protocol.Quantities;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "apply", mixinStandardHelpOptions = true,
        description = {"Run one task and print its result.",
                "Exit 1 with 'error: task ID failed after N attempt(s): TYPE: MESSAGE' when the task fails; exit 4 when no result comes within --timeout."})
final class ApplyCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Parameters(index = "0", paramLabel = "HANDLER", description = "Handler to run, e.g. echo, sleep, sha256.")
    String handler;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PAYLOAD", defaultValue = "", description = "Payload (UTF-8 text; default empty).")
    String payload;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "How long to wait for the result (default ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public Integer call() {
        var wait = Cli.duration("--timeout", timeout);
        try (Reservoir reservoir = connection.connect()) {
            Result r = reservoir.pool(connection.pool).apply(handler, payload.getBytes(StandardCharsets.UTF_8), wait);
            System.out.println(r.valueAsString());
            return ExitCodes.OK;
        }
    }
}
