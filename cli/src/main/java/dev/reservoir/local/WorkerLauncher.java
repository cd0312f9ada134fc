package dev.reservoir.local;

import dev.reservoir.protocol.WorkerEnv;
import dev.reservoir.spec.Revision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Starts the worker JVMs of one local pool: the java command line (this JVM's java and classpath,
 * {@link LocalWorkerMain}), the environment the operator would give a pod ({@link LocalPool#workerEnv}),
 * the worker's name and its log file. The embedded Redis's password goes in {@code RESERVOIR_REDIS_PASSWORD}
 * (the environment is readable only by the worker's own user, unlike its command line); it is left out of
 * the revision, which stays a function of the pool's settings.
 */
final class WorkerLauncher {
    static final String WORKER_MAIN = "dev.reservoir.worker.WorkerMain";

    private final PoolSpec spec;
    private final String redisUrl;
    /** Null: the workers inherit this JVM's RESERVOIR_REDIS_PASSWORD, if any. */
    private final String redisPassword;
    private final List<String> javaOptions;
    private final Path logDir;
    private final String revision;
    private final String namePrefix;
    /** Workers started so far, for their names. Confined to the supervisor thread. */
    private int sequence;

    /**
     * @param sharedRedis the Redis outlives this pool (named by the spec): a previous run's consumers may still
     *                    own entries there, so worker names must not repeat across runs
     * @param redisPassword set as the workers' RESERVOIR_REDIS_PASSWORD; null leaves them this JVM's
     */
    WorkerLauncher(PoolSpec spec, String redisUrl, String redisPassword, boolean sharedRedis, List<String> javaOptions, Path logDir) {
        this.spec = spec;
        this.redisUrl = redisUrl;
        this.redisPassword = redisPassword;
        this.javaOptions = List.copyOf(javaOptions);
        this.logDir = logDir;
        this.revision = revisionOf(LocalPool.workerEnv(spec, redisUrl, "x"));
        this.namePrefix = sharedRedis ? spec.name() + "-" + Long.toHexString(System.currentTimeMillis() & 0xffff) : spec.name();
    }

    /** Fails at once, with what to do, when the worker classes are not on this JVM's classpath (children use the same). */
    static void checkWorkerOnClasspath() {
        try {
            Class.forName(WORKER_MAIN);
        } catch (ClassNotFoundException e) {
            throw new LocalPoolException("the worker is not on the classpath (" + WORKER_MAIN + "): add reservoir-worker to it"
                    + " (reservoir-cli has it as a runtime dependency; bin/reservoir runs with it)");
        }
    }

    /** The worker configuration minus the per-worker id: workers of another revision run another spec. */
    String revision() {
        return revision;
    }

    Path logDir() {
        return logDir;
    }

    ChildWorker spawn() {
        String name = namePrefix + "-w" + (++sequence);
        Path log = logDir.resolve(name + ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaOptions);
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(LocalWorkerMain.class.getName());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(LocalPool.workerEnv(spec, redisUrl, name));
        if (redisPassword != null) {
            pb.environment().put(WorkerEnv.REDIS_PASSWORD, redisPassword);
        }
        pb.environment().put(LocalWorkerMain.SUPERVISOR_PID, Long.toString(ProcessHandle.current().pid()));
        try {
            return new ChildWorker(name, revision, pb.start(), log, System.currentTimeMillis());
        } catch (IOException e) {
            throw new LocalPoolException("could not start a worker JVM (" + command.getFirst() + "): " + e.getMessage(), e);
        }
    }

    private static String revisionOf(Map<String, String> env) {
        Map<String, String> shared = new TreeMap<>(env);
        shared.remove(WorkerEnv.WORKER_ID);
        return Revision.of(shared.toString().getBytes(StandardCharsets.UTF_8));
    }
}
