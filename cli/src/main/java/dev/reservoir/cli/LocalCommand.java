package dev.reservoir.cli;

import dev.reservoir.local.LocalPool;
import dev.reservoir.local.LocalPoolException;
import dev.reservoir.local.PoolSpec;
import dev.reservoir.local.PoolSpecParser;
import dev.reservoir.spec.Setting;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "local", mixinStandardHelpOptions = true,
        header = "Run a WorkerPool YAML on this machine (child worker JVMs, embedded Redis) until Ctrl-C.",
        description = {"Run a WorkerPool on this machine until Ctrl-C: N worker JVMs with T threads each, kept at N",
                "(a worker that dies is replaced, recycling after maxTasksPerWorker works), against an embedded Redis",
                "unless --redis or spec.queue.redis.url names one. Reads the same YAML the operator reads and ignores",
                "Kubernetes-only fields. Ctrl-C or SIGTERM drains every worker, then stops Redis."})
final class LocalCommand implements Callable<Integer> {
    @Option(names = {"-f", "--file"}, paramLabel = "POOL.yaml", required = true, description = "A WorkerPool resource (reservoir.dev/v1alpha1).")
    Path file;

    @Option(names = "--redis", paramLabel = "URL", description = "Use this Redis instead of an embedded one (wins over the file).")
    String redisUrl;

    @Option(names = "--replicas", paramLabel = "N", description = "Override spec.replicas.")
    Integer replicas;

    @Override
    public Integer call() throws InterruptedException {
        PoolSpec spec = PoolSpecParser.parse(file);
        if (redisUrl != null) {
            spec = spec.withRedisUrl(redisUrl);
        }
        if (replicas != null) {
            if (replicas < 0 || replicas > Setting.REPLICAS.max()) {
                throw new CliException(ExitCodes.USAGE, "--replicas: " + replicas + " is out of range: use 0 to " + Setting.REPLICAS.max());
            }
            spec = spec.withReplicas(replicas);
        }
        DateTimeFormatter time = DateTimeFormatter.ofPattern("HH:mm:ss");
        LocalPool.Options options = LocalPool.Options.defaults()
                .withEvents(line -> System.err.println(LocalTime.now().format(time) + " " + line));
        LocalPool pool = LocalPoolOptions.startAndWait(spec, options);
        System.out.printf("pool %s: %d worker(s) × %d threads ready; Redis %s; worker logs in %s%n", spec.name(), spec.replicas(),
                spec.threads(), pool.redisUrl(), pool.logDir());
        System.out.printf("try:  bin/reservoir apply --redis %s --pool %s echo hello%n", pool.redisUrl(), spec.name());
        System.out.printf("      bin/reservoir status --redis %s --pool %s --watch%n", pool.redisUrl(), spec.name());
        System.out.println("Ctrl-C drains the workers and stops.");
        System.out.flush();
        // The shutdown hook (Ctrl-C, SIGTERM) closes the pool; this thread waits, and reports a pool that
        // stopped on its own (its embedded Redis died: exit code 6).
        LocalPoolException failure = pool.awaitStopped();
        if (failure != null) {
            throw failure;
        }
        return ExitCodes.OK;
    }
}
