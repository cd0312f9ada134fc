package dev.reservoir.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
