/**
 * The Java client of Reservoir, after Python's {@code multiprocessing.Pool}: {@link dev.reservoir.client.Reservoir#connect}
 * → {@link dev.reservoir.client.Pool} with {@code submit}/{@code applyAsync} (futures), {@code apply} (blocking),
 * {@code map}/{@code imap} (ordered, streaming, bounded in flight), {@code close}/{@code join} and {@code get(taskId)}.
 * One submitter thread pipelines submissions and one reply reader completes every future, whatever the number of
 * tasks; both speak the protocol (docs/protocol.md) on connections of their own, with the keys, envelopes and XADD
 * arguments of reservoir-common (dev.reservoir.protocol, dev.reservoir.redis.PoolQueue). {@code TaskRegistry} keeps
 * each outstanding task's permit, join count and future. See docs/client.md.
 */
package dev.reservoir.client;
