package dev.reservoir.worker;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The bearer token that {@code POST /drain} and {@code GET /status} require ({@code RESERVOIR_HTTP_TOKEN};
 * on Kubernetes it comes from the pool's {@code <pool>-worker-token} Secret, which only the operator reads).
 * Its {@code toString} never shows the value, so a logged {@link WorkerConfig} does not leak it.
 */
public record HttpToken(String value) {
    public HttpToken {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the token is empty");
        }
    }

    /**
     * True when {@code authorization} (the header's value, may be null) is {@code Bearer <this token>}.
     * Compares SHA-256 digests with {@link MessageDigest#isEqual}: the time taken says nothing about how
     * many leading characters, or how many characters, were right.
     */
    boolean admits(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(sha256(authorization.substring(7).strip()), sha256(value));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "HttpToken[set]";
    }
}
