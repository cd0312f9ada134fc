package dev.reservoir.spec;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The revision of what a pool's workers are started from (the operator: a pod template; local mode:
 * a worker's environment): workers of another revision are from an older spec and are rolled.
 */
public final class Revision {
    private Revision() {
    }

    /** 10 hex digits of the SHA-256 of a canonical form: short enough for pod names, 40 bits so two revisions of one pool never collide in practice. */
    public static String of(byte[] canonical) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical), 0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
