package dev.reservoir.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.reservoir.protocol.WorkerEnv;
import dev.reservoir.redis.RedisEndpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Local mode's embedded Redis is not open to other local users: loopback only, a random password
 * that is on no command line, and a printed URL that carries it.
 */
class EmbeddedRedisAuthTest {
    static LocalPool local;
    static RedisEndpoint endpoint;

    @BeforeAll
    static void startPool() {
        local = LocalPool.start(PoolSpec.defaults("auth-test", 1, 1).withDrainTimeout(Duration.ofSeconds(5)), LocalPool.Options.defaults());
        local.awaitReady(Duration.ofSeconds(120));
        endpoint = RedisEndpoint.parse(local.redisUrl(), null);
    }

    @AfterAll
    static void stopPool() {
        if (local != null) {
            local.close();
        }
    }

    @Test
    void thePrintedUrlCarriesARandomPasswordAndWorks() {
        assertThat(local.redisUrl()).matches("redis://:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:\\d+");
        assertThat(endpoint.password()).isNotEqualTo(LocalRedis.randomPassword());
        try (Jedis jedis = endpoint.connect("test", Duration.ofSeconds(5))) {
            assertThat(jedis.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void anUnauthenticatedPingIsRefused() throws IOException {
        // A bare socket, as redis-cli without -a: no client library handshake in between.
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), endpoint.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertThat(reply).startsWith("-NOAUTH");
        }
        RedisEndpoint wrongPassword = RedisEndpoint.parse("redis://:" + LocalRedis.randomPassword() + "@127.0.0.1:" + endpoint.port(), null);
        assertThatThrownBy(() -> {
            try (Jedis jedis = wrongPassword.connect("test", Duration.ofSeconds(5))) {
                jedis.ping();
            }
        }).hasMessageContaining("WRONGPASS");
    }

    @Test
    void itListensOnLoopbackOnly() throws IOException {
        try (Jedis jedis = endpoint.connect("test", Duration.ofSeconds(5))) {
            assertThat(jedis.configGet("bind")).containsEntry("bind", "127.0.0.1");
        }
        // And nothing answers on the machine's other addresses.
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            for (InetAddress address : nic.inetAddresses().toList()) {
                if (address.isLoopbackAddress() || address.isLinkLocalAddress()) {
                    continue;
                }
                try (Socket socket = new Socket()) {
                    assertThatThrownBy(() -> socket.connect(new InetSocketAddress(address, endpoint.port()), 1000))
                            .as("connect to %s:%d", address, endpoint.port()).isInstanceOf(IOException.class);
                }
            }
        }
    }

    @Test
    void thePasswordIsOnNoCommandLineAndTheWorkersGetItInTheirEnvironment() throws IOException {
        long redisPid;
        try (Jedis jedis = endpoint.connect("test", Duration.ofSeconds(5))) {
            String info = jedis.info("server");
            redisPid = Long.parseLong(info.lines().filter(l -> l.startsWith("process_id:")).findFirst().orElseThrow().substring(11).trim());
        }
        String password = endpoint.password();
        // Redis replaces its process title once started, so this shows the title, not the arguments it was
        // launched with; RedisServerProcessTest checks those.
        assertThat(commandLine(redisPid)).as("redis-server's command line").contains("redis-server").doesNotContain(password);
        assertThat(commandLine(ProcessHandle.current().pid())).as("this JVM's command line").doesNotContain(password);
        Map<String, Long> workers = local.workerPids();
        assertThat(workers).hasSize(1);
        for (long pid : workers.values()) {
            assertThat(commandLine(pid)).as("worker's command line").doesNotContain(password);
            List<String> environment = List.of(Files.readString(Path.of("/proc", Long.toString(pid), "environ")).split("\0"));
            assertThat(environment).as("worker's environment")
                    .contains(WorkerEnv.REDIS_PASSWORD + "=" + password)
                    .contains(WorkerEnv.REDIS_URL + "=redis://127.0.0.1:" + endpoint.port());
        }
    }

    private static String commandLine(long pid) throws IOException {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
    }
}
