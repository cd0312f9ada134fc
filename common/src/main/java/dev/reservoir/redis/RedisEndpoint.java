package dev.reservoir.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

/**
 * Where Redis is and how to log in: {@code redis://[user[:password]@]host[:port][/db]} or
 * {@code rediss://} for TLS. A password given apart (from a Kubernetes Secret through
 * {@code RESERVOIR_REDIS_PASSWORD}) wins over one in the URL, so URLs in specs carry no secret.
 */
public record RedisEndpoint(String host, int port, boolean tls, String user, String password, int database) {

    public static RedisEndpoint parse(String url, String passwordOverride) {
        URI uri;
        try {
            uri = new URI(url == null ? "" : url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("Redis URL '" + url + "' is not a URL: use redis://host:port (or rediss:// for TLS)");
        }
        if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
            throw new IllegalArgumentException("Redis URL '" + url + "' must start with redis:// or rediss://");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("Redis URL '" + url + "' has no host: use redis://host:port");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            if (parts.length == 2) {
                user = parts[0].isEmpty() ? null : decode(parts[0]);
                password = decode(parts[1]);
            } else {
                password = decode(parts[0]);
            }
        }
        if (passwordOverride != null && !passwordOverride.isEmpty()) {
            password = passwordOverride;
        }
        int database = 0;
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Redis URL '" + url + "': the path must be a database number, e.g. redis://host:6379/0");
            }
        }
        return new RedisEndpoint(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort(), "rediss".equals(uri.getScheme()), user,
                password, database);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    public HostAndPort hostAndPort() {
        return new HostAndPort(host, port);
    }

    public JedisClientConfig clientConfig(String clientName, Duration socketTimeout) {
        DefaultJedisClientConfig.Builder builder = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(2000)
                .socketTimeoutMillis((int) socketTimeout.toMillis())
                .database(database)
                .ssl(tls)
                .resp2()
                .autoNegotiateProtocol(false)
                .clientName(clientName);
        if (password != null) {
            builder.user(user).password(password);
        }
        return builder.build();
    }

    /** One connection, e.g. for a blocking read that must not share a socket. */
    public Jedis connect(String clientName, Duration socketTimeout) {
        return new Jedis(hostAndPort(), clientConfig(clientName, socketTimeout));
    }

    /** Like {@link #connect}, on a {@link FlushingConnection} ({@code jedis.getConnection()}). */
    public Jedis connectFlushing(String clientName, Duration socketTimeout) {
        return new Jedis(new FlushingConnection(hostAndPort(), clientConfig(clientName, socketTimeout)));
    }

    /** A pool of connections; broken connections are dropped on return, so it heals after a Redis restart. */
    public JedisPool pool(String clientName, int maxConnections) {
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(maxConnections);
        config.setMaxIdle(maxConnections);
        config.setMinIdle(0);
        config.setTestWhileIdle(true);
        config.setMaxWait(Duration.ofSeconds(10));
        return new JedisPool(config, hostAndPort(), clientConfig(clientName, Duration.ofSeconds(10)));
    }

    /** For messages: the URL without the password. */
    @Override
    public String toString() {
        return (tls ? "rediss://" : "redis://") + host + ":" + port + (database == 0 ? "" : "/" + database);
    }
}
