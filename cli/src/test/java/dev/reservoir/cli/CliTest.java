package dev.reservoir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reservoir.local.LocalPool;
import dev.reservoir.local.PoolSpec;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.redis.RedisServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reservoir commands end to end (in-process) against a real local pool. */
class CliTest {
    static LocalPool local;
    static String redis;

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void startPool() {
        local = LocalPool.start(PoolSpec.defaults("cli", 1, 4).withDrainTimeout(Duration.ofSeconds(10)), LocalPool.Options.defaults());
        local.awaitReady(Duration.ofSeconds(120));
        redis = local.redisUrl();
    }

    @AfterAll
    static void stopPool() {
        local.close();
    }

    static synchronized Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = ReservoirCli.execute(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static String[] at(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = args[0];
        all[1] = "--redis";
        all[2] = redis;
        all[3] = "--pool=cli";
        System.arraycopy(args, 1, all, 4, args.length - 1);
        return all;
    }

    @Test
    void applyPrintsTheValue() {
        Run r = run(at("apply", "echo", "hello world"));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("hello world\n");
    }

    @Test
    void aFailedTaskIsOneLineAndExitCode1() {
        Run r = run(at("apply", "no-such-handler", "x"));
        assertThat(r.exit()).isEqualTo(ExitCodes.TASK_FAILED);
        assertThat(r.err().lines().toList()).hasSize(1);
        assertThat(r.err()).startsWith("error: task ").contains("UnknownHandler");
    }

    @Test
    void aTimeoutIsExitCode4() {
        // Long enough for this run's fresh client to connect and queue the task on a loaded machine (else it
        // reports "not queued"), and 4 s short of the handler's sleep, so no result can beat it (a longer sleep
        // only delays the pool's drain at close).
        Run r = run(at("apply", "--timeout", "2s", "sleep", "6000"));
        assertThat(r.exit()).isEqualTo(ExitCodes.TIMEOUT);
        assertThat(r.err()).startsWith("error: no result for task").contains("get(");
    }

    @Test
    void submitPrintsIdsAndGetFetchesTheResultsLater() throws InterruptedException {
        Run submitted = run(at("submit", "echo", "one", "two", "three"));
        assertThat(submitted.exit()).as(submitted.err()).isZero();
        List<String> ids = submitted.out().lines().toList();
        assertThat(ids).hasSize(3);
        Run got = null;
        for (int i = 0; i < 100; i++) {
            got = run(at("get", ids.get(0), ids.get(1), ids.get(2)));
            if (got.exit() == 0) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(got.exit()).isZero();
        assertThat(got.out()).isEqualTo("one\ntwo\nthree\n");
        Run unknown = run(at("get", "no-such-task"));
        assertThat(unknown.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(unknown.err()).contains("no result for task no-such-task");
    }

    @Test
    void mapReadsAFileAndPrintsResultsInOrder() throws IOException {
        Path payloads = dir.resolve("payloads.txt");
        StringBuilder in = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            in.append("line ").append(i).append('\n');
            expected.append("line ").append(i).append('\n');
        }
        Files.writeString(payloads, in);
        Run r = run(at("map", "echo", "-f", payloads.toString(), "--max-in-flight", "32", "--chunk", "8"));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(expected.toString());

        Files.writeString(payloads, "5\nnot-a-number\n7\n");
        Run keepGoing = run(at("map", "sleep", "-f", payloads.toString(), "--keep-going"));
        assertThat(keepGoing.exit()).isEqualTo(ExitCodes.TASK_FAILED);
        assertThat(keepGoing.out().lines().toList()).hasSize(3).startsWith("5").endsWith("7");
        assertThat(keepGoing.out().lines().toList().get(1)).startsWith("!NonRetryable");
        Run stop = run(at("map", "sleep", "-f", payloads.toString()));
        assertThat(stop.exit()).isEqualTo(ExitCodes.TASK_FAILED);
        assertThat(stop.err()).contains("line 2").contains("--keep-going");

        Run missing = run(at("map", "echo", "-f", dir.resolve("nope.txt").toString()));
        assertThat(missing.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("no such file");
    }

    @Test
    void statusShowsWorkersWithTheirStateAndMemoryPool() {
        Run r = run(at("status"));
        assertThat(r.exit()).as(r.err()).isZero();
        RedisEndpoint endpoint = RedisEndpoint.parse(redis, null);
        assertThat(endpoint.password()).as("local mode's URL carries the embedded Redis's password").isNotBlank();
        // status names the Redis without its password: its output is for screens and logs.
        assertThat(r.out()).contains("pool cli at redis://127.0.0.1:" + endpoint.port() + "\n").doesNotContain(endpoint.password())
                .contains("workers 1")
                .contains("WORKER").contains("cli-w1").contains("RUNNING").contains("/16/20"); // blocks derived by the worker for 4 threads + prefetch 1
    }

    @Test
    void anUnreachableRedisIsExitCode3WithWhatToDo() {
        int port = RedisServerProcess.freePort();
        Run r = run("apply", "--redis", "redis://127.0.0.1:" + port, "echo", "x");
        assertThat(r.exit()).isEqualTo(ExitCodes.REDIS_UNREACHABLE);
        assertThat(r.err()).startsWith("error: cannot reach Redis at redis://127.0.0.1:" + port).contains("--redis");
        assertThat(r.err().lines().toList()).hasSize(1);
        Run bad = run("apply", "--redis", "http://nope", "echo", "x");
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("redis://");
    }

    @Test
    void aBadMapDeadlineIsAUsageError() {
        Run r = run("map", "--deadline", "0s", "echo");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--deadline: must be positive");
    }

    @Test
    void aBadPoolFileIsRejectedNamingEveryField() throws IOException {
        Path file = dir.resolve("pool.yaml");
        Files.writeString(file, """
                apiVersion: reservoir.dev/v1alpha1
                kind: WorkerPool
                metadata: {name: bad}
                spec: {threads: 0, dispatch: Sideways}
                """);
        Run r = run("local", "-f", file.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("spec.threads: 0 is out of range: use 1 to 1024")
                .contains("spec.dispatch: 'Sideways' is not one of SharedQueue, RoundRobin, Random");
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : List.of("local", "submit", "apply", "map", "get", "status")) {
            Run r = run(command, "--help");
            assertThat(r.exit()).as(command).isZero();
            assertThat(r.out()).as(command).contains("Usage: reservoir " + command);
        }
        Run top = run("--help");
        assertThat(top.out()).contains("Exit codes:").contains("local").contains("status");
        // demo and bench are the bench module's (ReservoirMainTest): without them the help does not point at demo.
        assertThat(top.out()).doesNotContain("Start here").doesNotContain("demo");
        Run bare = run();
        assertThat(bare.exit()).isZero();
        assertThat(bare.out()).as("no command: the usage, with every command").contains("Usage: reservoir").contains("status");
        Run unknown = run("no-such-command");
        assertThat(unknown.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err().lines().toList()).hasSize(1);
        assertThat(unknown.err()).startsWith("error: Unmatched argument").contains("'reservoir --help'");
        Run missing = run("apply");
        assertThat(missing.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).startsWith("error: Missing required parameter: 'HANDLER'").contains("'reservoir apply --help'");
    }
}
