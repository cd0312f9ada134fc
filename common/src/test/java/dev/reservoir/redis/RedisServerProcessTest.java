package dev.reservoir.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

class RedisServerProcessTest {

    @Test
    void freePortsAreBelowTheEphemeralRangeAndFree() throws IOException {
        int ephemeral = RedisServerProcess.ephemeralRangeStart();
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        if (Files.exists(range)) {
            // read independently (an InputStream reads to EOF; Files.readString gave "3" on this /proc file)
            String text;
            try (InputStream in = Files.newInputStream(range)) {
                text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
            assertThat(ephemeral).isEqualTo(Integer.parseInt(text.trim().split("\\s+")[0])).isGreaterThan(1023);
        }
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            int port = RedisServerProcess.freePort();
            if (ephemeral > 20_000) {
                assertThat(port).isBetween(20_000, ephemeral - 1);
            }
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertThat(socket.getLocalPort()).isEqualTo(port);
            }
            seen.add(port);
        }
        assertThat(seen).as("chosen at random, not the same port each time").hasSizeGreaterThan(1);
    }

    @Test
    void aServerOnAFreePortAnswers() {
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start();
             Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
            assertThat(jedis.ping()).isEqualTo("PONG");
            assertThat(redis.isRunning()).isTrue();
        }
    }

    @Test
    void aServerWithAPasswordRequiresItAndGetsItOnStdinNotItsCommandLine() throws IOException {
        String password = "pw-" + Long.toHexString(System.nanoTime());
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false, password).start()) {
            assertThat(redis.command()).as("the launch command").noneMatch(arg -> arg.contains(password));
            assertThat(redis.url()).isEqualTo("redis://:" + password + "@127.0.0.1:" + redis.port());
            assertThat(redis.address()).isEqualTo("redis://127.0.0.1:" + redis.port());
            assertThat(unauthenticatedPing(redis.port())).startsWith("-NOAUTH");
            try (Jedis jedis = RedisEndpoint.parse(redis.url(), null).connect("test", Duration.ofSeconds(5))) {
                assertThat(jedis.ping()).isEqualTo("PONG");
                assertThat(jedis.configGet("bind")).containsEntry("bind", "127.0.0.1");
            }
            // A restart (after a crash) reads the password again.
            redis.kill();
            redis.start();
            assertThat(unauthenticatedPing(redis.port())).startsWith("-NOAUTH");
            try (Jedis jedis = RedisEndpoint.parse(redis.url(), null).connect("test", Duration.ofSeconds(5))) {
                assertThat(jedis.ping()).isEqualTo("PONG");
                String dir = jedis.configGet("dir").get("dir");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(dir)))).as("data folder").isEqualTo("rwx------");
            }
        }
    }

    @Test
    void passwordsThatAConfigLineCannotCarryAreRefused() {
        for (String bad : new String[] {"", "a b", "a\"b", "a\\b", "a\nrequirepass x"}) {
            assertThatThrownBy(() -> new RedisServerProcess(1, Path.of("."), false, bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static String unauthenticatedPing(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }
}
