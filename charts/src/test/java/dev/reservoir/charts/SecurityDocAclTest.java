package dev.reservoir.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.reservoir.redis.RedisServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The Redis ACL examples of docs/security.md, run as written (each {@code ACL SETUSER} line of its
 * redis blocks) against a real redis-server, then each user tries what it must be allowed and what
 * it must not: the page cannot drift into examples that do not work or that allow too much.
 */
class SecurityDocAclTest {
    static final Path DOC = Helm.REPO.resolve("docs/security.md");
    private static final Pattern SETUSER = Pattern.compile("^ACL SETUSER .*$", Pattern.MULTILINE);
    static RedisServerProcess redis;

    @BeforeAll
    static void start() throws IOException {
        redis = RedisServerProcess.onFreePort(false).start();
        List<String> lines = new ArrayList<>();
        Matcher m = SETUSER.matcher(Files.readString(DOC));
        while (m.find()) {
            lines.add(m.group());
        }
        assertThat(lines).as("ACL SETUSER lines in " + DOC).hasSize(2);
        try (Jedis admin = new Jedis("127.0.0.1", redis.port())) {
            for (String line : lines) {
                List<String> words = words(line);
                assertThat(admin.sendCommand(Protocol.Command.ACL, words.subList(1, words.size()).toArray(String[]::new)))
                        .as(line).isNotNull();
            }
        }
    }

    @AfterAll
    static void stop() {
        redis.close();
    }

    @Test
    void aProducerAddsTasksAndReadsItsOwnReplyStreamOnly() {
        try (Jedis p = as("producer-app1", "producer-secret")) {
            assertThat(p.ping()).isEqualTo("PONG");
            p.sendCommand(Protocol.Command.XADD, "reservoir:{demo}:tasks", "*", "id", "app1-1", "handler", "echo", "payload", "x",
                    "reply", "reservoir:{demo}:reply:app1");
            try (Jedis admin = new Jedis("127.0.0.1", redis.port())) {
                admin.sendCommand(Protocol.Command.XADD, "reservoir:{demo}:reply:app1", "*", "app1-1", "ok");
                admin.sendCommand(Protocol.Command.XADD, "reservoir:{demo}:reply:app2", "*", "app2-1", "theirs");
            }
            assertThat(p.sendCommand(Protocol.Command.XREAD, "COUNT", "10", "STREAMS", "reservoir:{demo}:reply:app1", "0")).isNotNull();
            p.sendCommand(Protocol.Command.XTRIM, "reservoir:{demo}:reply:app1", "MINID", "0");
            denied(() -> p.sendCommand(Protocol.Command.XREAD, "STREAMS", "reservoir:{demo}:tasks", "0"), "read the tasks (others' payloads)");
            denied(() -> p.sendCommand(Protocol.Command.XREAD, "STREAMS", "reservoir:{demo}:reply:app2", "0"), "read another's replies");
            denied(() -> p.sendCommand(Protocol.Command.XADD, "reservoir:{demo}:reply:app1", "*", "forged", "x"), "write a reply");
            denied(() -> p.sendCommand(Protocol.Command.XADD, "reservoir:{other}:tasks", "*", "id", "x"), "another pool's tasks");
            denied(() -> p.sendCommand(Protocol.Command.HSET, "reservoir:{demo}:results:1", "app2-1", "forged"), "write a result");
            denied(p::flushAll, "FLUSHALL");
        }
    }

    @Test
    void aWorkerUsesItsPoolsKeysAndNothingElse() {
        try (Jedis w = as("worker-demo", "worker-secret")) {
            w.sendCommand(Protocol.Command.XGROUP, "CREATE", "reservoir:{demo}:tasks", "workers", "0", "MKSTREAM");
            try (Jedis admin = new Jedis("127.0.0.1", redis.port())) {
                admin.sendCommand(Protocol.Command.XADD, "reservoir:{demo}:tasks", "*", "id", "w-1", "handler", "echo", "payload", "x");
            }
            assertThat(w.sendCommand(Protocol.Command.XREADGROUP, "GROUP", "workers", "w1", "COUNT", "1", "STREAMS",
                    "reservoir:{demo}:tasks", ">")).isNotNull();
            w.hset("reservoir:{demo}:results:1", "app1-1", "ok");
            w.zadd("reservoir:{demo}:workers", 1, "w1");
            // The completion scripts call stream, hash and sorted-set commands on the pool's keys.
            assertThat(w.eval("redis.call('HINCRBY', KEYS[1], 'completed', 1) return redis.call('XLEN', KEYS[2])", 2,
                    "reservoir:{demo}:stats", "reservoir:{demo}:tasks")).isNotNull();
            denied(() -> w.get("reservoir:{other}:stats"), "another pool's key");
            denied(() -> w.eval("return redis.call('DEL', KEYS[1])", 1, "reservoir:{other}:tasks"), "another pool's key from a script");
            denied(w::flushAll, "FLUSHALL");
            denied(() -> w.configGet("requirepass"), "CONFIG");
            denied(() -> w.keys("*"), "KEYS");
        }
    }

    private static Jedis as(String user, String password) {
        Jedis jedis = new Jedis("127.0.0.1", redis.port());
        jedis.auth(user, password);
        return jedis;
    }

    private static void denied(Runnable command, String what) {
        assertThatThrownBy(command::run).as(what).isInstanceOf(JedisDataException.class).hasMessageContaining("NOPERM");
    }

    /** Splits like redis-cli: on spaces, except inside double quotes (a selector is one argument). */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ' ' && !quoted) {
                if (!cur.isEmpty()) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        if (!cur.isEmpty()) {
            out.add(cur.toString());
        }
        return out;
    }
}
