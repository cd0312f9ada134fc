package dev.reservoir.charts;

import static dev.reservoir.charts.ChartTest.containers;
import static dev.reservoir.charts.ChartTest.deployment;
import static dev.reservoir.charts.ChartTest.get;
import static dev.reservoir.charts.ChartTest.map;
import static dev.reservoir.charts.ChartTest.maps;
import static dev.reservoir.charts.ChartTest.ofKind;
import static dev.reservoir.charts.ChartTest.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.reservoir.redis.RedisServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The try-out Redis's password reaches Redis without ever being on a command line, where any process
 * on the node could read it (ps, /proc/PID/cmdline). The container's command and args are checked as
 * the kubelet runs them (its {@code $(VAR)} references expanded from the env), and then run for real
 * with a redis-server, to show the password that the Secret holds is the one Redis wants.
 */
class TryOutRedisTest {
    /** Shell- and config-unfriendly on purpose: $, a backtick, a quote, spaces, and $(...). */
    static final String PASSWORD = "canary $HOME `id` it's $(REDIS_PASSWORD) x";
    private static final Pattern KUBELET_REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    @TempDir
    Path dir;

    @Test
    void thePasswordIsNeverInTheCommandLineAndRedisStillRequiresIt() throws Exception {
        Path values = dir.resolve("values.yaml");
        // A values file: --set would parse the commas, braces and backslashes a password may hold.
        Files.writeString(values, "redis:\n  enabled: true\n  password: '" + PASSWORD.replace("'", "''") + "'\n");
        List<Map<String, Object>> objects = Helm.objects(Helm.template("-f", values.toString()));
        Map<String, Object> container = containers(deployment(objects, "redis")).getFirst();
        Map<String, String> env = resolvedEnv(container, objects);
        assertThat(env).as("the container gets the password from the Secret").containsEntry("REDIS_PASSWORD", PASSWORD);

        List<String> argv = new ArrayList<>();
        strings(container.get("command")).forEach(s -> argv.add(kubeletExpand(s, env)));
        strings(container.get("args")).forEach(s -> argv.add(kubeletExpand(s, env)));
        assertThat(argv).as("command + args as the kubelet runs them").noneMatch(a -> a.contains("canary"));

        // Run that command line for real: redis-server from PATH, on a free loopback port of its own.
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("redis-server"), RedisServerProcess.binary());
        int port = RedisServerProcess.freePort();
        List<String> run = new ArrayList<>(argv);
        // The pod's data directory (its volume) is this test's directory here: Redis changes into it as it reads it.
        for (int i = 1; i < run.size(); i++) {
            if (run.get(i - 1).equals("--dir")) {
                run.set(i, dir.toString());
            }
        }
        run.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString()));
        ProcessBuilder builder = new ProcessBuilder(run).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile());
        builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        builder.environment().put("REDIS_PASSWORD", PASSWORD);
        Process redis = builder.start();
        try {
            awaitListening(port, redis);
            assertThat(redis.info().arguments().map(List::of).orElse(List.of()))
                    .as("the running process's arguments").noneMatch(a -> a.contains("canary"));
            try (Jedis anonymous = new Jedis("127.0.0.1", port)) {
                assertThatThrownBy(anonymous::ping).isInstanceOf(JedisDataException.class).hasMessageContaining("NOAUTH");
            }
            try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                assertThatThrownBy(() -> jedis.auth("canary")).as("only the whole password").hasMessageContaining("WRONGPASS");
                assertThat(jedis.auth(PASSWORD)).isEqualTo("OK");
                assertThat(jedis.ping()).isEqualTo("PONG");
                // The chart's own flags still apply after the config read from stdin.
                assertThat(jedis.configGet("maxmemory-policy")).containsEntry("maxmemory-policy", "noeviction");
            }
        } finally {
            redis.destroy();
            if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
        }
        assertThat(redis.exitValue()).as("Redis itself got SIGTERM (exec: no shell in between)\n" + log()).isZero();
    }

    @Test
    void aPasswordThatCannotBeAConfigLineIsRejectedByTheSchema() throws IOException {
        for (String bad : List.of("with \\\" quote", "back\\\\slash", "new\\nline")) {
            Path values = dir.resolve("bad.yaml");
            Files.writeString(values, "redis:\n  enabled: true\n  password: \"" + bad + "\"\n");
            Helm.Result result = Helm.run(List.of("template", "r", Helm.CHART.toString(), "-f", values.toString()));
            assertThat(result.exitCode()).as(bad).isNotZero();
            assertThat(result.stderr()).as(bad).contains("/redis/password");
        }
    }

    /** The container's env with each secretKeyRef resolved from the Secrets the chart renders. */
    private static Map<String, String> resolvedEnv(Map<String, Object> container, List<Map<String, Object>> objects) {
        Map<String, String> env = new HashMap<>();
        for (Map<String, Object> e : maps(container.get("env"))) {
            String name = (String) e.get("name");
            if (e.get("value") != null) {
                env.put(name, String.valueOf(e.get("value")));
            } else if (get(e, "valueFrom.secretKeyRef") != null) {
                String secret = (String) get(e, "valueFrom.secretKeyRef.name");
                String key = (String) get(e, "valueFrom.secretKeyRef.key");
                Map<String, Object> data = ofKind(objects, "Secret").stream().filter(s -> secret.equals(ChartTest.name(s)))
                        .findFirst().map(s -> map(s.get("data"))).orElseThrow(() -> new AssertionError("no Secret " + secret));
                env.put(name, new String(Base64.getDecoder().decode((String) data.get(key)), StandardCharsets.UTF_8));
            }
        }
        return env;
    }

    /** What the kubelet does to a command or arg: $(NAME) of a defined env var becomes its value. */
    static String kubeletExpand(String arg, Map<String, String> env) {
        Matcher m = KUBELET_REFERENCE.matcher(arg);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group())));
        }
        return m.appendTail(out).toString();
    }

    private void awaitListening(int port, Process redis) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!redis.isAlive()) {
                throw new AssertionError("the rendered Redis command exited with " + redis.exitValue() + ":\n" + log());
            }
            try (java.net.Socket ignored = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("Redis did not listen on " + port + ":\n" + log());
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
