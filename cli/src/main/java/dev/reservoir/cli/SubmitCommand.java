package dev.reservoir.cli;

import dev.reservoir.client.Pool;
import dev.reservoir.client.Reservoir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
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
        AtomicInteger notQueued = new AtomicInteger();
        List<CompletableFuture<String>> queued = new ArrayList<>();
        try (Reservoir reservoir = connection.connect()) {
            Pool pool = reservoir.pool(connection.pool);
            Iterable<byte[]> input = payloads.isEmpty() ? Payloads.from(file)
                    : payloads.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList();
            for (byte[] p : input) {
                // Fire and forget: each id is printed as soon as Redis has the task (in input order: the client
                // sends detached tasks in order), and nothing waits for workers, so a pool with no workers yet
                // still takes the whole file.
                CompletableFuture<String> f = pool.submitDetached(handler, p);
                f.whenComplete((id, e) -> {
                    if (e == null) {
                        System.out.println(id);
                    } else {
                        notQueued.incrementAndGet();
                        Throwable cause = e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
                        System.err.println("error: a task was not queued: " + cause.getMessage());
                    }
                });
                queued.add(f);
                if (queued.size() >= 4096) {
                    queued.removeIf(CompletableFuture::isDone);
                }
            }
            for (CompletableFuture<String> f : queued) {
                try {
                    f.join();
                } catch (CompletionException e) {
                    // reported by its callback
                }
            }
            System.out.flush();
            return notQueued.get() == 0 ? ExitCodes.OK : ExitCodes.REDIS_UNREACHABLE;
        }
    }
}
