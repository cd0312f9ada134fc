package dev.reservoir.protocol;

/** A stream entry or hash that does not follow docs/protocol.md; the message names the field. */
public class MalformedEntryException extends RuntimeException {
    private final String field;

    public MalformedEntryException(String field, String problem) {
        super("field '" + field + "': " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
