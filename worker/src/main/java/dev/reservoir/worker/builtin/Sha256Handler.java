package dev.reservoir.worker.builtin;

import dev.reservoir.protocol.Quantities;
import dev.reservoir.worker.handler.NonRetryableException;
import dev.reservoir.worker.handler.TaskContext;
import dev.reservoir.worker.handler.TaskHandler;
import dev.reservoir.worker.memory.Block;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CPU-bound task for demos and benchmarks. Payload {@code SIZE[xROUNDS]} (e.g. {@code 1Mix27}):
 * hashes SIZE bytes of synthetic data ROUNDS times (each round's digest seeds the next) and returns
 * the hex SHA-256. The data is generated in a scratch block from the memory pool and fed to the
 * digest block by block, so SIZE may exceed the block size without any allocation.
 */
public final class Sha256Handler implements TaskHandler {
    private static final Pattern SPEC = Pattern.compile("(\\d+(?:Ki|Mi|Gi)?)(?:x(\\d+))?");

    @Override
    public String name() {
        return "sha256";
    }

    @Override
    public byte[] handle(TaskContext context) throws Exception {
        String text = new String(context.payloadBytes(), StandardCharsets.US_ASCII).trim();
        Matcher m = SPEC.matcher(text);
        if (!m.matches()) {
            throw new NonRetryableException("sha256: payload must be SIZE[xROUNDS], e.g. 1Mix27, got '" + text + "'");
        }
        long size = Quantities.parseBytes("size", m.group(1));
        int rounds = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
        if (size > (1L << 30) || rounds > 10_000) {
            throw new NonRetryableException("sha256: at most 1Gi bytes and 10000 rounds, got '" + text + "'");
        }
        Block scratch = context.scratch();
        MemorySegment block = scratch.segment();
        ByteBuffer buffer = block.asByteBuffer();
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] seed = new byte[32];
        for (int round = 0; round < rounds; round++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("sha256 interrupted at round " + round);
            }
            fill(block, seed);
            long left = size;
            while (left > 0) {
                int n = (int) Math.min(left, block.byteSize());
                buffer.clear().limit(n);
                digest.update(buffer);
                left -= n;
            }
            seed = digest.digest();
        }
        scratch.release();
        return HexFormat.of().formatHex(seed).getBytes(StandardCharsets.US_ASCII);
    }

    /** Deterministic content derived from the previous digest, so rounds cannot be skipped. */
    private static void fill(MemorySegment block, byte[] seed) {
        long words = block.byteSize() / 8;
        long x = ByteBuffer.wrap(seed).getLong() | 1;
        for (long i = 0; i < words; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            block.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, x);
        }
    }
}
