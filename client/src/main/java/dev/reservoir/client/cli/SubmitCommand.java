package dev.reservoir.client.cli;

import dev.reservoir.client.Pool;
import dev.reservoir.client.Reservoir;
import dev.reservoir.client.TaskFuture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "submit", mixinStandardHelpOptions = true,
        description = {"Queue tasks without waiting and print their task ids, one per line.",
                "Fetch results later with 'reservoir get TASK_ID' (kept for the result TTL)."})
final class SubmitCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Parameters(index = "0", paramLabel = "HANDLER", description = "Handler to run, e.g. echo, sleep, sha256.")
    String handler;

    @Parameters(index = "1..*", paramLabel = "PAYLOAD", description = "Payloads (one task each); none: read -f or stdin.")
    List<String> payloads = new ArrayList<>();

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read payloads from FILE, one per line ('-' = stdin).")
    Path file;

    @Override
    public Integer call() {
        List<TaskFuture> futures = new ArrayList<>();
        try (Reservoir reservoir = connection.connect()) {
            Pool pool = reservoir.pool(connection.pool);
            Iterable<byte[]> input = payloads.isEmpty() ? Payloads.from(file)
                    : payloads.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList();
            for (byte[] p : input) {
                futures.add(pool.submit(handler, p));
            }
            int notQueued = 0;
            for (TaskFuture f : futures) {
                try {
                    f.accepted().join();
                    System.out.println(f.taskId());
                } catch (CompletionException e) {
                    notQueued++;
                    System.err.println("error: task " + f.taskId() + " was not queued: " + e.getCause().getMessage());
                }
            }
            return notQueued == 0 ? ExitCodes.OK : ExitCodes.REDIS_UNREACHABLE;
        }
    }
}
