package dev.reservoir.cli;

import dev.reservoir.client.Pool;
import dev.reservoir.client.Reservoir;
import dev.reservoir.client.Result;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "get", mixinStandardHelpOptions = true,
        description = {"Print the stored result of tasks by id (kept for the result TTL after they finish).",
                "A failed task prints 'error: TYPE: MESSAGE' on stderr and exits 1; an unknown id exits 5."})
final class GetCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Parameters(arity = "1..*", paramLabel = "TASK_ID", description = "Task ids, as printed by 'reservoir submit'.")
    List<String> taskIds;

    @Override
    public Integer call() {
        int exit = ExitCodes.OK;
        try (Reservoir reservoir = connection.connect()) {
            Pool pool = reservoir.pool(connection.pool);
            for (String id : taskIds) {
                Optional<Result> r = pool.get(id);
                if (r.isEmpty()) {
                    System.err.println("error: no result for task " + id + " in pool " + connection.pool
                            + " (still queued or running, expired, or another pool: check --pool)");
                    exit = Math.max(exit, ExitCodes.NOT_FOUND);
                } else if (r.get().isOk()) {
                    System.out.println(r.get().valueAsString());
                } else {
                    System.err.println("error: task " + id + " failed: " + r.get().errorType() + ": " + r.get().errorMessage());
                    exit = Math.max(exit, ExitCodes.TASK_FAILED);
                }
            }
        }
        return exit;
    }
}
