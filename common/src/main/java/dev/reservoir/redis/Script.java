package dev.reservoir.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A Lua script run by SHA with a fallback to sending its body: after a Redis restart or
 * {@code SCRIPT FLUSH} the cache is empty and {@code EVALSHA} answers NOSCRIPT.
 */
public final class Script {
    private final String name;
    private final byte[] body;
    private final byte[] sha;

    private Script(String name, byte[] body) {
        this.name = name;
        this.body = body;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body)).getBytes(StandardCharsets.US_ASCII);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Loads {@code /dev/reservoir/redis/<name>.lua} from the classpath. */
    public static Script load(String name) {
        try (InputStream in = Script.class.getResourceAsStream(name + ".lua")) {
            if (in == null) {
                throw new IllegalStateException("script " + name + ".lua is missing from the classpath");
            }
            return new Script(name, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String name() {
        return name;
    }

    public Object run(Jedis jedis, List<byte[]> keys, List<byte[]> args) {
        byte[][] params = params(sha, keys, args);
        try {
            return jedis.sendCommand(Protocol.Command.EVALSHA, params);
        } catch (JedisNoScriptException e) {
            params[0] = body;
            return jedis.sendCommand(Protocol.Command.EVAL, params);
        }
    }

    private static byte[][] params(byte[] first, List<byte[]> keys, List<byte[]> args) {
        byte[][] params = new byte[2 + keys.size() + args.size()][];
        params[0] = first;
        params[1] = Integer.toString(keys.size()).getBytes(StandardCharsets.US_ASCII);
        int i = 2;
        for (byte[] k : keys) {
            params[i++] = k;
        }
        for (byte[] a : args) {
            params[i++] = a;
        }
        return params;
    }
}
