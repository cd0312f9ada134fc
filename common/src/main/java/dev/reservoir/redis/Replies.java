package dev.reservoir.redis;

import java.nio.charset.StandardCharsets;

/** Small helpers for raw RESP2 replies as Jedis returns them from {@code sendCommand}. */
public final class Replies {
    private Replies() {
    }

    public static String text(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        return o.toString();
    }

    public static long number(Object o) {
        if (o instanceof Long l) {
            return l;
        }
        String t = text(o);
        return t == null ? 0 : Long.parseLong(t);
    }

    public static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
