package dev.reservoir.pool;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Observed workers + desired spec → which workers to start, drain and stop. Pure and deterministic:
 * the same input always gives the same {@link Plan}, with names sorted.
 *
 * <p>One pass, in order (level-triggered: every pass starts from what is observed, nothing is
 * remembered here; {@link Expectations} remembers what was done but is not visible yet):
 * <ol>
 *   <li><b>Exited workers</b> (SUCCEEDED, FAILED) are deleted and their claims reclaimed at once (only
 *       they: an exit is final, while a worker observed PENDING may have started since the observation,
 *       so a deleted PENDING worker is left to hand back its claims itself, or to the visibility timeout). No
 *       replacement is created in the same pass: the caller requeues and the next pass creates, so a
 *       crash-looping spec cannot create faster than deletions are observed.</li>
 *   <li><b>Expectations</b>: a worker whose deletion is pending is gone already (never deleted twice);
 *       one whose drain is pending is draining (never picked twice); pending creates count as live
 *       workers (never created twice).</li>
 *   <li><b>Draining and going-away workers do not count</b> toward replicas. A draining worker that
 *       never started (PENDING) is deleted: it has no process to finish, and an unschedulable pod would
 *       otherwise wait forever.</li>
 *   <li><b>Scale down</b>: live workers beyond {@code replicas} (beyond {@code replicas + maxSurge}
 *       while a rolling update is in progress) are picked in {@link #victimOrder victim order} and drained;
 *       victims that never started are deleted instead. A busy worker is never deleted.</li>
 *   <li><b>Rolling update</b>: outdated workers are drained, not-ready ones freely (they serve nothing),
 *       READY ones only while at least {@code replicas − maxUnavailable} READY workers remain.</li>
 *   <li><b>Scale up / surge</b>: create until {@code replicas} workers run the desired revision,
 *       without exceeding {@code replicas + maxSurge} live workers during a rolling update
 *       ({@code replicas} otherwise). Workers drained in this pass no longer count, so a drain and its
 *       replacement can happen in one pass.</li>
 * </ol>
 */
public final class PoolPlanner {

    /**
     * Who goes first when the pool has too many workers: not ready (they serve nothing yet), then
     * READY idle, then READY busy; within each, outdated revision first, then fewest tasks in flight
     * (unknown counts as the busiest), then newest first (an older worker has a warmer JVM), then name.
     */
    static Comparator<ObservedWorker> victimOrder(String desiredRevision) {
        return Comparator.<ObservedWorker>comparingInt(w -> w.phase() != Phase.READY ? 0 : w.possiblyBusy() ? 2 : 1)
                .thenComparingInt(w -> w.revision().equals(desiredRevision) ? 1 : 0)
                .thenComparingInt(w -> w.inFlight() == ObservedWorker.UNKNOWN_IN_FLIGHT ? Integer.MAX_VALUE : w.inFlight())
                .thenComparing(Comparator.comparingLong(ObservedWorker::createdAtMillis).reversed())
                .thenComparing(ObservedWorker::name);
    }

    private PoolPlanner() {}

    public static Plan plan(DesiredPool desired, List<ObservedWorker> observed, Expectations.Pending pending) {
        Objects.requireNonNull(desired, "desired must not be null");
        Objects.requireNonNull(observed, "observed must not be null");
        Objects.requireNonNull(pending, "pending must not be null (pass Expectations.Pending.NONE)");
        Census census = Census.of(sortedByName(observed), pending, desired.revision());
        int replicas = desired.replicas();
        boolean rolling = census.outdatedLive() > 0;
        int allowedLive = replicas + (rolling ? desired.maxSurge() : 0);

        List<ObservedWorker> candidates = new ArrayList<>(census.live);
        candidates.sort(victimOrder(desired.revision()));
        Set<String> victims = new LinkedHashSet<>();

        // (4) Scale down: the excess goes, in victim order. Pending creates cannot be picked (not visible yet).
        int excess = Math.min(census.liveCount() - allowedLive, candidates.size());
        for (int i = 0; i < excess; i++) {
            victims.add(candidates.get(i).name());
        }

        // (5) Rolling update: drain outdated workers while enough READY ones remain.
        int minReady = replicas - desired.maxUnavailable();
        int readyLeft = (int) census.live.stream().filter(w -> w.phase() == Phase.READY && !victims.contains(w.name())).count();
        for (ObservedWorker worker : candidates) {
            if (victims.contains(worker.name()) || worker.revision().equals(desired.revision())) {
                continue;
            }
            if (worker.phase() != Phase.READY) {
                victims.add(worker.name()); // serves nothing: no availability lost
            } else if (readyLeft - 1 >= minReady) {
                victims.add(worker.name());
                readyLeft--;
            }
        }

        List<String> drain = new ArrayList<>();
        List<String> delete = new ArrayList<>(census.delete);
        for (ObservedWorker worker : census.live) {
            if (victims.contains(worker.name())) {
                (worker.phase() == Phase.PENDING ? delete : drain).add(worker.name());
            }
        }
        delete.sort(null); // drain is in name order already: census.live is

        // (6) Scale up / surge, counting what is left after this pass's drains.
        int liveAfter = census.liveCount() - victims.size();
        int updatedAfter = census.pendingUpdated + (int) census.live.stream()
                .filter(w -> w.revision().equals(desired.revision()) && !victims.contains(w.name())).count();
        int create = census.exitedCount() > 0 ? 0 : Math.max(0, Math.min(replicas - updatedAfter, allowedLive - liveAfter));

        int notReady = (int) census.live.stream().filter(w -> w.phase() != Phase.READY).count();
        boolean progressing = create > 0 || !drain.isEmpty() || !delete.isEmpty() || rolling || notReady > 0
                || census.draining > 0 || census.goingAway > 0 || !pending.satisfied() || census.liveCount() != replicas;
        String reason = reason(desired, census, excess > 0, notReady, progressing, pending);
        return new Plan(create, drain, delete, census.reclaim, progressing, reason);
    }

    /** What the observation and the expectations add up to, before any decision. Confined to one plan() call. */
    private static final class Census {
        /** Live, not draining, not going away: what counts toward replicas. In name order. */
        final List<ObservedWorker> live = new ArrayList<>();
        /** Exited workers to delete now, and drained workers that never started. */
        final List<String> delete = new ArrayList<>();
        /** Exited workers only; in name order. */
        final List<String> reclaim = new ArrayList<>();
        int failed, recycled, drained, neverStarted, draining, goingAway, pendingUpdated, pendingOutdated;
        long outdatedObserved;

        static Census of(List<ObservedWorker> workers, Expectations.Pending pending, String desiredRevision) {
            Census census = new Census();
            Set<String> observedNames = new HashSet<>();
            for (ObservedWorker worker : workers) {
                if (!observedNames.add(worker.name())) {
                    throw new IllegalArgumentException("observed workers must have unique names; '" + worker.name()
                            + "' appears twice: list each pod or process once");
                }
                census.add(worker, pending);
            }
            census.outdatedObserved = census.live.stream().filter(w -> !w.revision().equals(desiredRevision)).count();
            for (Map.Entry<String, String> create : pending.creates().entrySet()) {
                if (observedNames.contains(create.getKey())) {
                    continue; // observed after all: counted as what it is
                }
                if (create.getValue().equals(desiredRevision)) {
                    census.pendingUpdated++;
                } else {
                    census.pendingOutdated++;
                }
            }
            return census;
        }

        private void add(ObservedWorker worker, Expectations.Pending pending) {
            boolean deletePending = pending.deletes().contains(worker.name());
            if (worker.phase().exited()) {
                // (1) Exited: delete once; while the delete is pending it is merely going away.
                if (deletePending) {
                    goingAway++;
                    return;
                }
                delete.add(worker.name());
                reclaim.add(worker.name());
                if (worker.phase() == Phase.FAILED) {
                    failed++;
                } else if (worker.draining()) {
                    drained++;
                } else {
                    recycled++;
                }
            } else if (worker.phase() == Phase.TERMINATING || deletePending) {
                goingAway++;
            } else if (worker.draining() || pending.drains().contains(worker.name())) {
                // (3) Draining does not count. One that never started has nothing to finish: delete it.
                if (worker.phase() == Phase.PENDING) {
                    delete.add(worker.name());
                    neverStarted++;
                } else {
                    draining++;
                }
            } else {
                live.add(worker);
            }
        }

        int liveCount() {
            return live.size() + pendingUpdated + pendingOutdated;
        }

        long outdatedLive() {
            return outdatedObserved + pendingOutdated;
        }

        int exitedCount() {
            return failed + recycled + drained;
        }
    }

    /** The one phrase for the pool's status: the most significant thing going on. */
    private static String reason(DesiredPool desired, Census census, boolean scalingDown, int notReady,
                                 boolean progressing, Expectations.Pending pending) {
        int replicas = desired.replicas();
        if (census.exitedCount() > 0) {
            List<String> parts = new ArrayList<>();
            if (census.failed > 0) parts.add("replacing " + workers(census.failed, "failed "));
            if (census.recycled > 0) parts.add("replacing " + workers(census.recycled, "recycled "));
            if (census.drained > 0) parts.add("removing " + workers(census.drained, "drained "));
            return String.join(", ", parts);
        }
        if (census.outdatedLive() > 0) {
            long readyUpdated = census.live.stream()
                    .filter(w -> w.phase() == Phase.READY && w.revision().equals(desired.revision())).count();
            return "rolling " + Math.min(readyUpdated, replicas) + "/" + replicas + " updated";
        }
        if (census.liveCount() < replicas) {
            return "scaling up " + census.live.size() + " → " + replicas;
        }
        if (scalingDown) {
            return "scaling down " + census.live.size() + " → " + replicas;
        }
        if (census.neverStarted > 0) {
            return "deleting " + workers(census.neverStarted, "drained ") + " that never started";
        }
        if (census.draining + census.goingAway > 0) {
            return "waiting for " + workers(census.draining + census.goingAway) + " to drain and exit";
        }
        if (notReady > 0) {
            return "waiting for " + workers(notReady) + " to become ready";
        }
        if (!progressing) {
            return replicas == 0 ? "scaled to 0" : "all " + workers(replicas) + " ready";
        }
        int changes = pending.size();
        return "waiting for " + changes + (changes == 1 ? " change" : " changes") + " to be observed";
    }

    private static List<ObservedWorker> sortedByName(List<ObservedWorker> observed) {
        List<ObservedWorker> sorted = new ArrayList<>(observed.size());
        for (ObservedWorker worker : observed) {
            sorted.add(Objects.requireNonNull(worker, "observed workers must not contain null"));
        }
        sorted.sort(Comparator.comparing(ObservedWorker::name));
        return sorted;
    }

    private static String workers(long n) {
        return workers(n, "");
    }

    private static String workers(long n, String adjective) {
        return n + " " + adjective + (n == 1 ? "worker" : "workers");
    }
}
