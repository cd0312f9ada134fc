package dev.reservoir.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A reconciler and the workers it keeps, played pass by pass, with no Kubernetes and no processes:
 * enough of the world to check what the planner's plans add up to over many passes.
 *
 * <p>World rules per tick: PENDING → STARTING → READY; a READY worker takes its load
 * ({@code inFlightOf}); a draining worker finishes one task per tick and exits SUCCEEDED when it holds
 * none; TERMINATING workers vanish. The reconciler sees the world as it was {@code lag} ticks ago (a
 * stale informer cache), and records every action in {@link Expectations} like a real caller.
 */
final class SimulatedPool {

    static final String POOL = "sim";
    static final long TICK_MILLIS = 1_000;

    /** The truth, by name. */
    final Map<String, ObservedWorker> world = new TreeMap<>();
    /** What the cache showed after each tick, oldest first. */
    private final List<List<ObservedWorker>> history = new ArrayList<>();
    final Expectations expectations;
    private final int lag;
    long now;
    int created;
    int deleted;
    final List<Plan> plans = new ArrayList<>();

    SimulatedPool(int lag, Duration expectationTimeout) {
        this.lag = lag;
        this.expectations = new Expectations(expectationTimeout);
        history.add(List.of()); // before the first tick the cache is empty
    }

    /** Start the pool with {@code n} READY workers of {@code revision}, each holding {@code inFlight} tasks. */
    SimulatedPool seed(int n, String revision, int inFlight) {
        for (int i = 0; i < n; i++) {
            String name = "w" + created++;
            world.put(name, new ObservedWorker(name, revision, Phase.READY, false, inFlight, now));
        }
        snapshot();
        return this;
    }

    /** One reconcile pass on the (stale) observation; the plan is carried out on the world. */
    Plan pass(DesiredPool desired) {
        List<ObservedWorker> observed = history.get(Math.max(0, history.size() - 1 - lag));
        Expectations.Pending pending = expectations.observe(POOL, observed, now);
        Plan plan = PoolPlanner.plan(desired, observed, pending);
        plans.add(plan);
        for (String name : plan.reclaim()) {
            assertThat(world.get(name).phase().exited())
                    .as("reclaimed %s must really have exited (it is %s)", name, world.get(name)).isTrue();
        }
        for (String name : plan.delete()) {
            ObservedWorker worker = world.get(name);
            assertThat(worker).as("deleted %s must still exist: never deleted twice", name).isNotNull();
            assertThat(worker.phase()).as("deleted %s must not be serving (it is %s)", name, worker)
                    .isNotEqualTo(Phase.READY);
            world.put(name, Workers.withPhase(worker, Phase.TERMINATING));
            expectations.expectDelete(POOL, name, now);
            deleted++;
        }
        for (String name : plan.drain()) {
            assertThat(world.get(name).draining()).as("drained %s twice", name).isFalse();
            world.put(name, Workers.draining(world.get(name)));
            expectations.expectDrain(POOL, name, now);
        }
        for (int i = 0; i < plan.create(); i++) {
            String name = "w" + created++;
            world.put(name, new ObservedWorker(name, desired.revision(), Phase.PENDING, false, ObservedWorker.UNKNOWN_IN_FLIGHT, now));
            expectations.expectCreate(POOL, name, desired.revision(), now);
        }
        return plan;
    }

    /** Time passes: every worker takes one step of its life. */
    void tick(int loadPerWorker) {
        now += TICK_MILLIS;
        for (ObservedWorker w : List.copyOf(world.values())) {
            ObservedWorker next = switch (w.phase()) {
                case PENDING -> Workers.withPhase(w, Phase.STARTING);
                case STARTING -> new ObservedWorker(w.name(), w.revision(), Phase.READY, w.draining(),
                        w.draining() ? 0 : loadPerWorker, w.createdAtMillis());
                case READY -> !w.draining() ? w
                        : w.inFlight() <= 0 ? Workers.withPhase(w, Phase.SUCCEEDED)
                        : new ObservedWorker(w.name(), w.revision(), Phase.READY, true, w.inFlight() - 1, w.createdAtMillis());
                case TERMINATING -> null;
                case SUCCEEDED, FAILED -> w;
            };
            if (next == null) {
                world.remove(w.name());
            } else {
                world.put(w.name(), next);
            }
        }
        snapshot();
    }

    void fail(String name) {
        world.put(name, Workers.withPhase(world.get(name), Phase.FAILED));
        snapshot();
    }

    private void snapshot() {
        history.add(List.copyOf(world.values()));
    }

    /** Live and not draining: what counts toward replicas. */
    long live() {
        return world.values().stream().filter(w -> !w.draining() && !w.phase().exited() && w.phase() != Phase.TERMINATING).count();
    }

    long readyServing() {
        return world.values().stream().filter(w -> w.phase() == Phase.READY && !w.draining()).count();
    }

    long readyServing(String revision) {
        return world.values().stream().filter(w -> w.phase() == Phase.READY && !w.draining() && w.revision().equals(revision)).count();
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("t=" + now + "ms world:");
        world.values().forEach(w -> out.append("\n  ").append(w));
        return out.toString();
    }
}
