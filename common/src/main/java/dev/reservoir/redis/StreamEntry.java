package dev.reservoir.redis;

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

    /** Parses {@code [id, [field, value, ...]]}. */
    @SuppressWarnings("unchecked")
    public static StreamEntry parse(Object raw, long deliveries) {
        List<Object> pair = (List<Object>) raw;
        String id = Replies.text(pair.get(0));
        Map<String, byte[]> fields = new LinkedHashMap<>();
        Object body = pair.get(1);
        if (body instanceof List<?> list) {
            for (int i = 0; i + 1 < list.size(); i += 2) {
                fields.put(Replies.text(list.get(i)), (byte[]) list.get(i + 1));
            }
        }
        return new StreamEntry(id, fields, deliveries);
    }

    /** Parses an XREAD/XREADGROUP reply: {@code [[stream, [entry, ...]], ...]} (null when it timed out). */
    @SuppressWarnings("unchecked")
    public static List<StreamEntry> parseRead(Object reply) {
        if (reply == null) {
            return Collections.emptyList();
        }
        List<StreamEntry> entries = new ArrayList<>();
        for (Object stream : (List<Object>) reply) {
            List<Object> s = (List<Object>) stream;
            for (Object entry : (List<Object>) s.get(1)) {
                entries.add(parse(entry, 1));
            }
        }
        return entries;
    }

    public String text(String field) {
        byte[] v = fields.get(field);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }
}
