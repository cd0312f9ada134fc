package dev.reservoir.protocol;

import java.time.Duration;

/**
 * The bounds of a submitter's reply stream ({@link PoolKeys#reply}), shared by the workers that write
 * it and the client that reads it (docs/protocol.md, "Reading results").
 *
 * <ul>
 *   <li><b>Length</b>: workers append with {@code MAXLEN ~} {@link #MAX_ENTRIES}, so a stream nobody
 *       reads holds at most about that many batches. A client that reads keeps its stream far shorter
 *       (it trims what it read); one that falls this far behind loses the oldest batches and finds
 *       those outcomes by task id instead.</li>
 *   <li><b>Life</b>: workers set {@link #TTL} only when their write creates the stream, never renew
 *       it; the reading client renews it ({@code PEXPIRE}) while it reads. So the stream of a client
 *       that went away expires at most {@link #TTL} after the outcome that created it, whatever is
 *       still being completed for it (a later outcome starts a new, equally bounded stream).</li>
 * </ul>
 */
public final class ReplyStreams {
    /** About how many entries (batches of outcomes) a reply stream holds at most. */
    public static final long MAX_ENTRIES = 10_000;
    /** A reply stream's life from the write that created it, or from the reader's last renewal. */
    public static final Duration TTL = Duration.ofHours(1);
    /** How often a reading client renews its streams: well within {@link #TTL}. */
    public static final Duration RENEW_EVERY = Duration.ofMinutes(1);

    private ReplyStreams() {
    }
}
