package dev.reservoir.spec;

import java.time.Duration;

/**
 * What a pool keeps in Redis after its tasks end, bounded both by count and by age so that Redis
 * memory has a ceiling whatever the throughput (docs/operations.md, "Sizing Redis"):
 * <ul>
 *   <li><b>results</b> (for {@code get(taskId)}): each lives {@code resultTtl} in its minute's bucket,
 *       and the oldest buckets are dropped once the pool holds more than {@code maxResults}; the
 *       bucket being written is never dropped, so at least the last minute's results stay;</li>
 *   <li><b>dead letters</b>: the dead-letter stream holds about {@code maxDeadLetters} entries
 *       ({@code MAXLEN ~} on every append) and none older than {@code deadLetterTtl}
 *       ({@code XTRIM MINID ~}, with every stream trim).</li>
 * </ul>
 */
public record Retention(Duration resultTtl, long maxResults, Duration deadLetterTtl, long maxDeadLetters) {
}
