package dev.reservoir.cli;

import dev.reservoir.client.ReservoirConnectionException;
import dev.reservoir.client.ResultTimeoutException;
import dev.reservoir.client.TaskFailedException;
import dev.reservoir.local.LocalPoolException;
import dev.reservoir.local.PoolSpecException;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code reservoir} command. Every error is one line on stderr saying what to do, with an exit
 * code from {@link ExitCodes}; {@code RESERVOIR_DEBUG=1} adds the stack trace.
 *
 * <p>This module's commands talk to a pool or run one ({@code local}). Commands of modules that
 * depend on this one join through {@link #execute(List, String...)}: {@code bin/reservoir} runs the
 * bench module's main, which adds {@code demo} and {@code bench}.
 */
@Command(name = "reservoir", mixinStandardHelpOptions = true, version = "reservoir 0.1.0-SNAPSHOT",
        description = "A process pool, a thread pool and a memory pool, run as one system.",
        subcommands = {LocalCommand.class, SubmitCommand.class, ApplyCommand.class, MapCommand.class, GetCommand.class,
                StatusCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:a task failed (or a benchmark target was missed with --check)", "2:bad command line or input file",
                "3:Redis unreachable or connection lost", "4:no result within the timeout", "5:no stored result for that task id",
                "6:local pool could not start (worker or Redis), or its embedded Redis died", "130:interrupted (Ctrl-C)", "143:stopped by SIGTERM", "70:internal error (a bug: please report it with the message)"})
public final class ReservoirCli implements Runnable {
    /** The command to try first, named in the top-level help when it is there. */
    private static final String FIRST_COMMAND = "demo";

    /** The command as built by {@link #execute(List, String...)}, with every subcommand. */
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return execute(List.of(), args);
    }

    /**
     * Runs the command line with this module's commands plus {@code moreCommands} (picocli
     * {@code @Command} objects, listed after this module's in the help).
     */
    public static int execute(List<Object> moreCommands, String... args) {
        quietLibraries();
        CommandLine cli = new CommandLine(new ReservoirCli());
        for (Object command : moreCommands) {
            cli.addSubcommand(command);
        }
        cli.addSubcommand(new CommandLine.HelpCommand());
        if (cli.getSubcommands().containsKey(FIRST_COMMAND)) {
            cli.getCommandSpec().usageMessage().description(cli.getCommandSpec().usageMessage().description()[0], "",
                    "Start here:  reservoir " + FIRST_COMMAND);
        }
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            int code = exitCode(e);
            cmd.getErr().println("error: " + message(e));
            if (System.getenv("RESERVOIR_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return code;
        });
        cli.setParameterExceptionHandler((e, arguments) -> {
            CommandLine cmd = e.getCommandLine();
            String name = cmd.getCommandSpec().qualifiedName();
            cmd.getErr().println("error: " + e.getMessage() + " (see '" + name + " --help')");
            cmd.getErr().flush();
            return ExitCodes.USAGE;
        });
        return cli.execute(args);
    }

    static int exitCode(Throwable e) {
        return switch (e) {
            case CliException c -> c.exitCode;
            case TaskFailedException t -> ExitCodes.TASK_FAILED;
            case ResultTimeoutException t -> ExitCodes.TIMEOUT;
            case ReservoirConnectionException c -> ExitCodes.REDIS_UNREACHABLE;
            case PoolSpecException p -> ExitCodes.USAGE;
            case LocalPoolException l -> ExitCodes.LOCAL_POOL_FAILED;
            case IllegalArgumentException i -> ExitCodes.USAGE;
            case InterruptedException i -> ExitCodes.INTERRUPTED;
            default -> 70;
        };
    }

    static String message(Throwable e) {
        if (e instanceof PoolSpecException p) {
            return p.getMessage().replaceFirst(": ", ":\n  ").replace("; ", "\n  ");
        }
        if (e instanceof CliException || e instanceof dev.reservoir.client.ReservoirException || e instanceof IllegalArgumentException
                || e instanceof LocalPoolException) {
            return e.getMessage();
        }
        return "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage() + " (set RESERVOIR_DEBUG=1 for the stack trace)";
    }

    /** Jedis logs a RESP3 negotiation warning per connection; the CLI reports connection problems itself. */
    private static void quietLibraries() {
        Logger.getLogger("redis.clients.jedis").setLevel(Level.SEVERE);
    }
}
