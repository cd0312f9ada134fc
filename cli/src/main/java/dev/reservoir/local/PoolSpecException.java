package dev.reservoir.local;

import java.util.List;

/** A WorkerPool file local mode cannot use; one line per problem, each naming its field. */
public class PoolSpecException extends IllegalArgumentException {
    private final List<String> problems;

    public PoolSpecException(String source, List<String> problems) {
        super(source + ": " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
