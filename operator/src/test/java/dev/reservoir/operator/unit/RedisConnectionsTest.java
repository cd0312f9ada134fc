package dev.reservoir.operator.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.reservoir.operator.queue.RedisConnections;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.redis.RedisServerProcess;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

/**
 * Connection pools are shared per endpoint and closed with their last user, checked on real Redis
 * servers by the connections they hold (CLIENT LIST), not only by the bookkeeping. (Redis notices a
 * closed socket on its next event-loop turn, hence the awaits on the server's count.)
 */
class RedisConnectionsTest {
    static RedisServerProcess first;
    static RedisServerProcess second;

    @BeforeAll
    static void start() {
        first = RedisServerProcess.onFreePort(false).start();
        second = RedisServerProcess.onFreePort(false).start();
    }

    @AfterAll
    static void stop() {
        first.stop();
        second.stop();
    }

    /** Connections the operator holds open to this server. */
    static long operatorClients(RedisServerProcess server) {
        try (Jedis admin = new Jedis("127.0.0.1", server.port())) {
            return Arrays.stream(admin.clientList().split("\n")).filter(line -> line.contains(" name=reservoir-operator ")).count();
        }
    }

    static void use(JedisPool pool) {
        try (Jedis jedis = pool.getResource()) {
            assertThat(jedis.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void sharedPerEndpointAndClosedWithItsLastOwner() {
        RedisConnections connections = new RedisConnections();
        RedisEndpoint endpoint = RedisEndpoint.parse(first.url(), null);
        JedisPool a = connections.pool("uid-a", endpoint);
        JedisPool b = connections.pool("uid-b", endpoint);
        assertThat(b).as("one pool per endpoint").isSameAs(a);
        use(a);
        assertThat(operatorClients(first)).isEqualTo(1);

        connections.release("uid-a");
        assertThat(a.isClosed()).as("still used by uid-b").isFalse();
        use(b);
        assertThat(operatorClients(first)).isEqualTo(1);

        connections.release("uid-b");
        assertThat(a.isClosed()).isTrue();
        assertThat(connections.openEndpoints()).isEmpty();
        assertThat(connections.owners()).isEmpty();
        await().untilAsserted(() -> assertThat(operatorClients(first)).as("connections closed with the pool").isZero());
        connections.release("uid-b"); // twice, or never known: nothing happens
        connections.release("uid-unknown");
    }

    @Test
    void anOwnerMovingToAnotherEndpointOrPasswordReleasesTheOldOne() {
        RedisConnections connections = new RedisConnections();
        RedisEndpoint old = RedisEndpoint.parse(first.url(), null);
        JedisPool oldPool = connections.pool("uid-a", old);
        use(oldPool);
        assertThat(operatorClients(first)).isEqualTo(1);

        JedisPool moved = connections.pool("uid-a", RedisEndpoint.parse(second.url(), null));
        use(moved);
        assertThat(oldPool.isClosed()).isTrue();
        await().untilAsserted(() -> assertThat(operatorClients(first)).isZero());
        assertThat(operatorClients(second)).isEqualTo(1);

        // A rotated password (the Secret changed) is another endpoint: the pool with the old password goes too.
        JedisPool rotated = connections.pool("uid-a", RedisEndpoint.parse(second.url(), "new-password"));
        assertThat(moved.isClosed()).isTrue();
        assertThat(rotated.isClosed()).isFalse();
        assertThat(connections.openEndpoints()).containsExactly(RedisEndpoint.parse(second.url(), "new-password"));
        await().untilAsserted(() -> assertThat(operatorClients(second)).isZero());

        // Asking again for the same endpoint keeps the same pool open.
        assertThat(connections.pool("uid-a", RedisEndpoint.parse(second.url(), "new-password"))).isSameAs(rotated);
        assertThat(rotated.isClosed()).isFalse();
        connections.release("uid-a");
        assertThat(rotated.isClosed()).isTrue();
    }
}
