package dev.reservoir.worker;

import dev.reservoir.worker.handler.HandlerRegistry;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Entry point of a worker process (pod or local child). Exit codes: 0 after a drain (SIGTERM,
 * POST /drain, maxTasksPerWorker, a handler that ignored its timeout's interrupt), 2 on invalid configuration (one line per problem on stderr),
 * 3 when the handlers cannot be loaded, {@value #EXIT_FATAL_ERROR} after a fatal error (an Error or a bug
 * in one of the worker's own threads, see {@link FatalErrorPolicy#haltProcess}): the process halts so
 * that it is replaced.
 */
public final class WorkerMain {
    /** EX_SOFTWARE: an internal error, as the CLI's exit code for one. */
    static final int EXIT_FATAL_ERROR = 70;

    private WorkerMain() {
    }

    public static void main(String[] args) {
        configureLogging();
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println("reservoir worker: configured by RESERVOIR_* environment variables or --name=value flags;"
                    + " see docs/configuration.md");
            return;
        }
        WorkerConfig config;
        try {
            config = WorkerConfig.fromEnvironment(System.getenv(), args);
        } catch (WorkerConfig.InvalidConfigException e) {
            for (String problem : e.problems()) {
                System.err.println("reservoir worker: invalid configuration: " + problem);
            }
            System.exit(2);
            return;
        }
        HandlerRegistry handlers;
        try {
            handlers = HandlerRegistry.load(config.handlersDir());
        } catch (RuntimeException e) {
            System.err.println("reservoir worker: " + e.getMessage());
            System.exit(3);
            return;
        }
        Worker worker;
        try {
            worker = new Worker(config, handlers, FatalErrorPolicy.haltProcess(EXIT_FATAL_ERROR)).start();
        } catch (RuntimeException e) {
            // Never a JVM left running without a worker in it: a start that fails ends the process.
            System.err.println("reservoir worker: cannot start: " + e);
            e.printStackTrace();
            System.exit(1);
            return;
        }
        // SIGTERM / Ctrl-C: drain, then exit 0 (a JVM shutdown hook would exit 143, and a pod that
        // drained cleanly must end Succeeded). The hook stays as a fallback for other ways to stop.
        for (String signal : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> worker.requestDrain());
            } catch (IllegalArgumentException unsupported) {
                // not on this platform: the shutdown hook below still drains
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(worker::drainAndStop, "reservoir-shutdown"));
        worker.awaitStopped();
        System.exit(0);
    }

    private static void configureLogging() {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s %5$s%6$s%n");
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new SimpleFormatter());
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        root.setLevel(Level.INFO);
    }
}
