package dev.reservoir.protocol;

/** Counter fields of the pool-wide stats hash ({@link PoolKeys#stats()}). */
public final class StatsFields {
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String RETRIED = "retried";
    public static final String RECLAIMED = "reclaimed";
    public static final String DEAD_LETTERED = "dead_lettered";
    public static final String HANDED_BACK = "handed_back";

    private StatsFields() {
    }
}
