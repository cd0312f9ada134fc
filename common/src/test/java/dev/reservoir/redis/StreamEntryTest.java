package dev.reservoir.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.reservoir.protocol.MalformedEntryException;
import dev.reservoir.protocol.Task;
import dev.reservoir.protocol.TaskFields;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker's read path: XREADGROUP replies to entries to tasks. */
class StreamEntryTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesAReadReplyKeepingFieldOrderAndUnknownFields() {
        Object reply = List.of(List.of(b("reservoir:{p}:tasks"), List.of(
                List.of(b("1700000000123-7"), List.of(b("id"), b("t1"), b("handler"), b("echo"), b("x-extra"), b("v"), b("payload"), new byte[] {0, 1})),
                List.of(b("1700000000124-0"), List.of(b("id"), b("t2"), b("handler"), b("echo"))))));
        List<StreamEntry> entries = StreamEntry.parseRead(reply);
        assertThat(entries).extracting(StreamEntry::id).containsExactly("1700000000123-7", "1700000000124-0");
        StreamEntry first = entries.getFirst();
        assertThat(first.fields().keySet()).containsExactly("id", "handler", "x-extra", "payload");
        assertThat(first.text("x-extra")).isEqualTo("v");
        assertThat(first.fields().get(TaskFields.PAYLOAD)).containsExactly(0, 1);
        assertThat(first.deliveries()).isEqualTo(1);
        assertThat(StreamEntry.parseRead(null)).isEmpty();
    }

    @Test
    void idMillisIsTheTimeRedisAddedTheEntry() {
        assertThat(new StreamEntry("1700000000123-7", Map.of(), 1).idMillis()).isEqualTo(1_700_000_000_123L);
        assertThat(new StreamEntry("0-1", Map.of(), 1).idMillis()).isZero();
        assertThat(new StreamEntry("-1", Map.of(), 1).idMillis()).isZero();
        assertThat(new StreamEntry("abc-1", Map.of(), 1).idMillis()).isZero();
        assertThat(new StreamEntry("123", Map.of(), 1).idMillis()).isZero();
        assertThat(new StreamEntry("99999999999999999999-1", Map.of(), 1).idMillis()).isZero();
    }

    @Test
    void numericFieldsDecodeWithoutLosingTheirChecks() {
        Task task = Task.fromFields(fields("attempt", "3", "submitted", "1700000000123", "timeout", "250"));
        assertThat(task.attempt()).isEqualTo(3);
        assertThat(task.submittedAt()).isEqualTo(1_700_000_000_123L);
        assertThat(task.timeoutMillis()).isEqualTo(250);
        // what Long.parseLong accepts beyond plain digits still reads as before
        assertThat(Task.fromFields(fields("attempt", "+2")).attempt()).isEqualTo(2);
        assertThat(Task.fromFields(fields("timeout", "0000000000000000000042")).timeoutMillis()).isEqualTo(42);
        assertThatThrownBy(() -> Task.fromFields(fields("attempt", "0"))).isInstanceOf(MalformedEntryException.class)
                .hasMessageContaining("'attempt'").hasMessageContaining("out of range");
        assertThatThrownBy(() -> Task.fromFields(fields("attempt", "-1"))).isInstanceOf(MalformedEntryException.class)
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> Task.fromFields(fields("attempt", "99999999999"))).isInstanceOf(MalformedEntryException.class)
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> Task.fromFields(fields("timeout", "12a"))).isInstanceOf(MalformedEntryException.class)
                .hasMessageContaining("'timeout'").hasMessageContaining("not a decimal integer");
        assertThatThrownBy(() -> Task.fromFields(fields("submitted", "99999999999999999999"))).isInstanceOf(MalformedEntryException.class)
                .hasMessageContaining("not a decimal integer");
    }

    private static Map<String, byte[]> fields(String... extra) {
        Object[] raw = new Object[4 + extra.length];
        raw[0] = b("id");
        raw[1] = b("t");
        raw[2] = b("handler");
        raw[3] = b("echo");
        for (int i = 0; i < extra.length; i++) {
            raw[4 + i] = b(extra[i]);
        }
        return StreamEntry.parse(List.of(b("1-0"), Arrays.asList(raw)), 1).fields();
    }
}
