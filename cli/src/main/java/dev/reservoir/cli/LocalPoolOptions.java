package dev.reservoir.cli;

import dev.reservoir.local.LocalPool;
import dev.reservoir.local.PoolSpec;
import dev.reservoir.spec.Setting;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options of the commands that start their own local pool (the bench module's demo and bench). */
public final class LocalPoolOptions {
    @Option(names = "--workers", paramLabel = "N", defaultValue = "4", description = "Worker processes (default ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "8", description = "Threads per worker (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--prefetch", paramLabel = "N",
            description = "Tasks a worker claims beyond its free threads (default: 1 for demo; 128 for bench, whose tiny tasks"
                    + " need big claims).")
    Integer prefetch;

    public PoolSpec spec(String name) {
        return spec(name, 1);
    }

    /** @param defaultPrefetch used when --prefetch is not given */
    public PoolSpec spec(String name, int defaultPrefetch) {
        int prefetch = this.prefetch != null ? this.prefetch : defaultPrefetch;
        if (workers < 1 || workers > Setting.REPLICAS.max()) {
            throw new CliException(ExitCodes.USAGE, "--workers: " + workers + " is out of range: use 1 to " + Setting.REPLICAS.max());
        }
        if (threads < 1 || threads > 1024) {
            throw new CliException(ExitCodes.USAGE, "--threads: must be between 1 and 1024, got " + threads);
        }
        if (prefetch < 0 || prefetch > 1024) {
            throw new CliException(ExitCodes.USAGE, "--prefetch: must be between 0 and 1024, got " + prefetch);
        }
        return PoolSpec.defaults(name, workers, threads).withPrefetch(prefetch).withDrainTimeout(Duration.ofSeconds(20));
    }

    /** Starts the pool, stops it on Ctrl-C / SIGTERM too, and waits until every worker is RUNNING. */
    public static LocalPool startAndWait(PoolSpec spec, LocalPool.Options options) {
        LocalPool pool = LocalPool.start(spec, options);
        Runtime.getRuntime().addShutdownHook(new Thread(pool::close, "reservoir-local-stop"));
        try {
            pool.awaitReady(Duration.ofSeconds(90));
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return pool;
    }
}
