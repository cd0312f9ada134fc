package dev.reservoir.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CodecTest {

    @Test
    void taskRoundTripsThroughStreamFields() {
        Task task = new Task("t-1", "sha256", new byte[] {0, 1, (byte) 0xff}, "reservoir:{p}:reply:c1", 2, 1234, 500, "HandlerError: x");
        assertThat(Task.fromFields(task.toFields())).isEqualTo(task);
    }

    @Test
    void xaddArgumentsCarryEveryFieldAndLeaveDefaultsOut() {
        Task full = new Task("t-1", "sha256", new byte[] {7}, "reservoir:{p}:reply:c1", 2, 1234, 500, "HandlerError: x");
        byte[][] args = full.fieldArgs(2);
        assertThat(args[0]).isNull();
        assertThat(args[1]).isNull();
        Map<String, byte[]> fields = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i += 2) {
            fields.put(new String(args[i], StandardCharsets.UTF_8), args[i + 1]);
        }
        assertThat(fields.keySet()).containsExactly("id", "handler", "payload", "reply", "attempt", "submitted", "timeout", "last_error");
        assertThat(Task.fromFields(fields)).isEqualTo(full);

        // What the Java client sends: no attempt (1), no submitted time (workers use the stream id's), no timeout,
        // and no payload when it is empty.
        Task lean = new Task("t-2", "echo", new byte[0], "reservoir:{p}:reply:c1", 1, 0, 0, null);
        assertThat(lean.toFields().keySet()).containsExactly("id", "handler", "reply");
        assertThat(lean.fieldArgs(0).length).isEqualTo(6);
        assertThat(Task.fromFields(lean.toFields())).isEqualTo(lean);
    }

    @Test
    void minimalTaskNeedsOnlyIdAndHandler() {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put("id", "a".getBytes(StandardCharsets.UTF_8));
        fields.put("handler", "echo".getBytes(StandardCharsets.UTF_8));
        Task task = Task.fromFields(fields);
        assertThat(task.attempt()).isEqualTo(1);
        assertThat(task.payload()).isEmpty();
        assertThat(task.replyTo()).isNull();
    }

    @Test
    void malformedTaskNamesTheField() {
        Map<String, byte[]> noHandler = new LinkedHashMap<>();
        noHandler.put("id", "a".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Task.fromFields(noHandler)).isInstanceOf(MalformedEntryException.class)
                .hasMessageContaining("'handler'").hasMessageContaining("missing");

        Map<String, byte[]> badAttempt = new LinkedHashMap<>(noHandler);
        badAttempt.put("handler", "echo".getBytes(StandardCharsets.UTF_8));
        badAttempt.put("attempt", "two".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Task.fromFields(badAttempt)).isInstanceOf(MalformedEntryException.class)
                .hasMessageContaining("'attempt'").hasMessageContaining("not a decimal integer");
    }

    @Test
    void resultsRoundTrip() {
        TaskResult ok = TaskResult.ok("t", "v".getBytes(StandardCharsets.UTF_8), 1, "w-1", 42);
        assertThat(TaskResult.fromFields(ok.toFields())).isEqualTo(ok);
        TaskResult failed = TaskResult.failed("t", ErrorTypes.UNKNOWN_HANDLER, "no handler 'x'", 3, "w-2", 7);
        TaskResult back = TaskResult.fromFields(failed.toFields());
        assertThat(back).isEqualTo(failed);
        assertThat(back.isOk()).isFalse();
    }

    @Test
    void encodedOutcomesRoundTripWithBinaryValuesAndMultiLineMessages() {
        byte[] binary = {0, '\n', (byte) 0xff, ' ', 'x'};
        TaskResult ok = TaskResult.ok("t", binary, 2, "w-1", 42);
        assertThat(new String(ok.encode(), 0, 8, StandardCharsets.US_ASCII)).isEqualTo("ok - 2 4");
        assertThat(TaskResult.decode("t", ok.encode())).isEqualTo(ok);
        TaskResult failed = TaskResult.failed("t", ErrorTypes.TIMEOUT, "took too long\nsee the log", 3, "w-2", 7);
        assertThat(TaskResult.decode("t", failed.encode())).isEqualTo(failed);
        // later versions may append header tokens: readers ignore them
        assertThat(TaskResult.decode("t", "ok - 1 5 1700000000000 w extra more\nv".getBytes(StandardCharsets.US_ASCII)).valueAsString())
                .isEqualTo("v");
    }

    @Test
    void malformedOutcomesAreRejectedWithTheReason() {
        assertThatThrownBy(() -> TaskResult.decode("t", "ok - 1".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(MalformedEntryException.class).hasMessageContaining("no header line");
        assertThatThrownBy(() -> TaskResult.decode("t", "ok - 1 2\nv".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("expected 6");
        assertThatThrownBy(() -> TaskResult.decode("t", "ok - x 2 3 w\nv".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("attempts 'x'");
        assertThatThrownBy(() -> TaskResult.decode("t", "maybe - 1 2 3 w\nv".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("unknown status 'maybe'");
    }

    @Test
    void poolNamesAreKubernetesNames() {
        assertThat(new PoolKeys("thumbnails").tasks()).isEqualTo("reservoir:{thumbnails}:tasks");
        assertThatThrownBy(() -> new PoolKeys("Bad_Name")).hasMessageContaining("pool name 'Bad_Name' is not valid");
        PoolKeys keys = new PoolKeys("p");
        assertThat(keys.isReplyKey(keys.reply("client-1"))).isTrue();
        assertThat(keys.isReplyKey("reservoir:{other}:reply:client-1")).isFalse();
    }

    @Test
    void quantitiesParseAndFormat() {
        assertThat(Quantities.parseBytes("blockSize", "64Ki")).isEqualTo(65536);
        assertThat(Quantities.parseBytes("blockSize", "1Mi")).isEqualTo(1 << 20);
        assertThat(Quantities.formatBytes(65536)).isEqualTo("64Ki");
        assertThat(Quantities.parseDuration("drainTimeout", "60s")).isEqualTo(Duration.ofSeconds(60));
        assertThat(Quantities.parseDuration("x", "250ms")).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> Quantities.parseDuration("drainTimeout", "soon")).hasMessageContaining("drainTimeout='soon'");
        assertThatThrownBy(() -> Quantities.parseBytes("blockSize", "64KB")).hasMessageContaining("blockSize='64KB'");
    }
}
