package dev.reservoir.pool;

import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Creates, deletes and drains a reconciler issued but cannot see yet in its (possibly stale)
 * observation, keyed by pool (after KubeRay's {@code expectations/scale_expectations.go}). Without
 * them, a pass that runs on an informer cache which has not caught up would create the same
 * workers again, delete a worker twice, or pick a second drain victim for the same excess.
 *
 * <p>Each expectation ends in one of two ways:
 * <ul>
 *   <li><b>satisfied</b> by an observation: a created worker appears (in any phase); a deleted worker
 *       is gone or TERMINATING; a drained worker is gone, shows {@code draining}, or has exited or is
 *       terminating;</li>
 *   <li><b>expired</b> after the timeout, so that a lost create (or a watch event that never comes)
 *       cannot wedge the pool: the next pass simply plans again from what it sees.</li>
 * </ul>
 *
 * <p>Pure: no clock is read, time is passed in ({@code nowMillis}); a clock that goes backwards only
 * delays expiry. Usage per pass:
 * <pre>{@code
 * Expectations.Pending pending = expectations.observe(pool, observed, now);
 * Plan plan = PoolPlanner.plan(desired, observed, pending);
 * // for each worker deleted: expectations.expectDelete(pool, name, now); drained: expectDrain(...)
 * // for each worker created (once its name is known): expectations.expectCreate(pool, name, revision, now)
 * }</pre>
 *
 * <p>Thread-safety: one instance serves all pools of a process, and reconcilers of different pools
 * may run at once, so every method is {@code synchronized}; {@link #pools} is guarded by {@code this}.
 * The work per call is proportional to one pool's workers.
 */
public final class Expectations {

    /** KubeRay uses the same order of magnitude: long enough for a slow informer, short enough to self-heal. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final long timeoutMillis;

    /** Outstanding expectations per pool; a pool with none has no entry. Guarded by {@code this}. */
    private final Map<String, PoolExpectations> pools = new HashMap<>();

    private record Create(String revision, long sinceMillis) {}

    /** One pool's outstanding expectations, by worker name (sorted, so everything derived is deterministic). */
    private static final class PoolExpectations {
        final SortedMap<String, Create> creates = new TreeMap<>();
        final SortedMap<String, Long> deletes = new TreeMap<>();
        final SortedMap<String, Long> drains = new TreeMap<>();

        boolean isEmpty() {
            return creates.isEmpty() && deletes.isEmpty() && drains.isEmpty();
        }
    }

    /**
     * What is still in flight for one pool, as {@link PoolPlanner#plan} needs it.
     *
     * @param creates workers created but not observed yet: name → the revision they were created from
     * @param deletes workers whose deletion was requested but is not visible yet
     * @param drains  workers asked to drain whose {@code draining} flag is not visible yet
     */
    public record Pending(SortedMap<String, String> creates, SortedSet<String> deletes, SortedSet<String> drains) {

        /** Nothing in flight: what a caller without expectations (or a test) passes. */
        public static final Pending NONE = new Pending(new TreeMap<>(), new TreeSet<>(), new TreeSet<>());

        public Pending {
            creates = Collections.unmodifiableSortedMap(new TreeMap<>(creates));
            deletes = Collections.unmodifiableSortedSet(new TreeSet<>(deletes));
            drains = Collections.unmodifiableSortedSet(new TreeSet<>(drains));
        }

        /** True when every expectation was observed (or expired): the observation can be taken at face value. */
        public boolean satisfied() {
            return creates.isEmpty() && deletes.isEmpty() && drains.isEmpty();
        }

        /** How many actions are still unobserved. */
        public int size() {
            return creates.size() + deletes.size() + drains.size();
        }
    }

    /** Expectations that expire after {@link #DEFAULT_TIMEOUT}. */
    public Expectations() {
        this(DEFAULT_TIMEOUT);
    }

    public Expectations(Duration timeout) {
        Objects.requireNonNull(timeout, "Expectations timeout must not be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("Expectations timeout must be positive, was " + timeout);
        }
        this.timeoutMillis = timeout.toMillis();
    }

    /** Record that worker {@code name} was created from {@code revision} (call once the create succeeded). */
    public synchronized void expectCreate(String pool, String name, String revision, long nowMillis) {
        requireNames(pool, name);
        Objects.requireNonNull(revision, "revision must not be null");
        poolExpectations(pool).creates.put(name, new Create(revision, nowMillis));
    }

    /** Record that deletion of worker {@code name} was requested. */
    public synchronized void expectDelete(String pool, String name, long nowMillis) {
        requireNames(pool, name);
        poolExpectations(pool).deletes.put(name, nowMillis);
    }

    /** Record that worker {@code name} was asked to drain. */
    public synchronized void expectDrain(String pool, String name, long nowMillis) {
        requireNames(pool, name);
        poolExpectations(pool).drains.put(name, nowMillis);
    }

    /**
     * Compare the pool's expectations with a fresh observation: forget the ones it satisfies and the
     * ones older than the timeout, and return what is still in flight.
     */
    public synchronized Pending observe(String pool, Collection<ObservedWorker> observed, long nowMillis) {
        Objects.requireNonNull(pool, "pool must not be null");
        PoolExpectations expected = pools.get(pool);
        if (expected == null) {
            return Pending.NONE;
        }
        Map<String, ObservedWorker> byName = new HashMap<>();
        for (ObservedWorker worker : observed) {
            byName.put(worker.name(), worker);
        }
        expected.creates.entrySet().removeIf(e -> byName.containsKey(e.getKey()) || expired(e.getValue().sinceMillis(), nowMillis));
        removeSatisfied(expected.deletes, nowMillis, name -> {
            ObservedWorker worker = byName.get(name);
            return worker == null || worker.phase() == Phase.TERMINATING;
        });
        removeSatisfied(expected.drains, nowMillis, name -> {
            ObservedWorker worker = byName.get(name);
            return worker == null || worker.draining() || worker.phase() == Phase.TERMINATING || worker.phase().exited();
        });
        if (expected.isEmpty()) {
            pools.remove(pool);
            return Pending.NONE;
        }
        SortedMap<String, String> creates = new TreeMap<>();
        expected.creates.forEach((name, create) -> creates.put(name, create.revision()));
        return new Pending(creates, new TreeSet<>(expected.deletes.keySet()), new TreeSet<>(expected.drains.keySet()));
    }

    /** Drop everything about a pool (it was deleted). */
    public synchronized void forget(String pool) {
        pools.remove(pool);
    }

    private void removeSatisfied(Map<String, Long> sinceByName, long nowMillis, Predicate<String> observedDone) {
        for (Iterator<Map.Entry<String, Long>> it = sinceByName.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> e = it.next();
            if (observedDone.test(e.getKey()) || expired(e.getValue(), nowMillis)) {
                it.remove();
            }
        }
    }

    private boolean expired(long sinceMillis, long nowMillis) {
        return nowMillis - sinceMillis >= timeoutMillis;
    }

    private PoolExpectations poolExpectations(String pool) {
        return pools.computeIfAbsent(pool, p -> new PoolExpectations());
    }

    private static void requireNames(String pool, String name) {
        Objects.requireNonNull(pool, "pool must not be null");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("worker name must not be blank (pool '" + pool + "')");
        }
    }
}
