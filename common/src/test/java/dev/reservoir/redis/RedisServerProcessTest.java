package dev.reservoir.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
        if (Files.exists(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            String first = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0];
            assertThat(ephemeral).isEqualTo(Integer.parseInt(first));
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
