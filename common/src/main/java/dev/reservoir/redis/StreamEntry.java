package dev.reservoir.redis;

import dev.reservoir.protocol.TaskFields;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One stream entry as Redis returned it: its id and its fields (binary-safe values).
 * {@code deliveries} is known only for reclaimed entries (1 otherwise).
 */
public record StreamEntry(String id, Map<String, byte[]> fields, long deliveries) {

    /**
     * The task field names as bytes with their String constants: a worker parses every claimed entry,
     * and handing out the constant (its hash already cached) instead of decoding each name saves an
     * allocation and a hash per field.
     */
    private static final String[] KNOWN_NAMES = {TaskFields.ID, TaskFields.HANDLER, TaskFields.PAYLOAD, TaskFields.REPLY,
            TaskFields.ATTEMPT, TaskFields.SUBMITTED, TaskFields.TIMEOUT, TaskFields.LAST_ERROR};
    private static final byte[][] KNOWN_BYTES = new byte[KNOWN_NAMES.length][];

    static {
        for (int i = 0; i < KNOWN_NAMES.length; i++) {
            KNOWN_BYTES[i] = KNOWN_NAMES[i].getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** Parses {@code [id, [field, value, ...]]}. */
    @SuppressWarnings("unchecked")
    public static StreamEntry parse(Object raw, long deliveries) {
        List<Object> pair = (List<Object>) raw;
        String id = Replies.text(pair.get(0));
        Object body = pair.get(1);
        Map<String, byte[]> fields;
        if (body instanceof List<?> list) {
            // sized so that no rehash happens (default load factor 0.75)
            fields = new LinkedHashMap<>(Math.max(4, list.size()));
            for (int i = 0; i + 1 < list.size(); i += 2) {
                fields.put(name(list.get(i)), (byte[]) list.get(i + 1));
            }
        } else {
            fields = new LinkedHashMap<>(4);
        }
        return new StreamEntry(id, fields, deliveries);
    }

    private static String name(Object raw) {
        if (raw instanceof byte[] b) {
            for (int i = 0; i < KNOWN_BYTES.length; i++) {
                if (java.util.Arrays.equals(KNOWN_BYTES[i], b)) {
                    return KNOWN_NAMES[i];
                }
            }
        }
        return Replies.text(raw);
    }

    /** Parses an XREAD/XREADGROUP reply: {@code [[stream, [entry, ...]], ...]} (null when it timed out). */
    @SuppressWarnings("unchecked")
    public static List<StreamEntry> parseRead(Object reply) {
        if (reply == null) {
            return Collections.emptyList();
        }
        List<Object> streams = (List<Object>) reply;
        List<StreamEntry> entries = null;
        for (Object stream : streams) {
            List<Object> raw = (List<Object>) ((List<Object>) stream).get(1);
            if (entries == null) {
                entries = new ArrayList<>(raw.size());
            }
            for (Object entry : raw) {
                entries.add(parse(entry, 1));
            }
        }
        return entries == null ? Collections.emptyList() : entries;
    }

    public String text(String field) {
        byte[] v = fields.get(field);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    /**
     * The millisecond part of the id ({@code <ms>-<seq>}): the time Redis added the entry, by its own
     * clock (ids are made monotonic, so it may run a little ahead after a clock step); 0 when the id
     * has no such part.
     */
    public long idMillis() {
        long ms = 0;
        int n = id.length();
        for (int i = 0; i < n; i++) {
            char c = id.charAt(i);
            if (c == '-') {
                return i == 0 ? 0 : ms;
            }
            if (c < '0' || c > '9' || i >= 18) {
                return 0;
            }
            ms = ms * 10 + (c - '0');
        }
        return 0;
    }
}
