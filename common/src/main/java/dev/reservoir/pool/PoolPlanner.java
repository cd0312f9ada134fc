package dev.reservoir.pool;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
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
        List<ObservedWorker> workers = sortedByName(observed);
        Set<String> observedNames = new HashSet<>();
        for (ObservedWorker worker : workers) {
            if (!observedNames.add(worker.name())) {
                throw new IllegalArgumentException("observed workers must have unique names; '" + worker.name()
                        + "' appears twice: list each pod or process once");
            }
        }

        List<String> delete = new ArrayList<>();
        List<String> reclaim = new ArrayList<>();
        int failed = 0, recycled = 0, drained = 0;
        List<ObservedWorker> live = new ArrayList<>();
        int draining = 0, goingAway = 0, neverStarted = 0;
        for (ObservedWorker worker : workers) {
            boolean deletePending = pending.deletes().contains(worker.name());
            if (worker.phase().exited()) {
                // (1) Exited: delete once; while the delete is pending it is merely going away.
                if (deletePending) {
                    goingAway++;
                } else {
                    delete.add(worker.name());
                    reclaim.add(worker.name());
                    if (worker.phase() == Phase.FAILED) {
                        failed++;
                    } else if (worker.draining()) {
                        drained++;
                    } else {
                        recycled++;
                    }
                }
            } else if (worker.phase() == Phase.TERMINATING || deletePending) {
                goingAway++;
            } else if (worker.draining() || pending.drains().contains(worker.name())) {
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
        boolean replacingExited = failed + recycled + drained > 0;

        int pendingUpdated = 0, pendingOutdated = 0;
        for (Map.Entry<String, String> create : pending.creates().entrySet()) {
            if (observedNames.contains(create.getKey())) {
                continue; // observed after all: counted above as what it is
            }
            if (create.getValue().equals(desired.revision())) {
                pendingUpdated++;
            } else {
                pendingOutdated++;
            }
        }

        int replicas = desired.replicas();
        int liveCount = live.size() + pendingUpdated + pendingOutdated;
        long outdatedObserved = live.stream().filter(w -> !w.revision().equals(desired.revision())).count();
        boolean rolling = outdatedObserved + pendingOutdated > 0;
        int allowedLive = replicas + (rolling ? desired.maxSurge() : 0);

        List<ObservedWorker> candidates = new ArrayList<>(live);
        candidates.sort(victimOrder(desired.revision()));
        List<ObservedWorker> victims = new ArrayList<>();
        Set<String> victimNames = new HashSet<>();

        // (4) Scale down: the excess goes, in victim order. Pending creates cannot be picked (not visible yet).
        int excess = Math.min(liveCount - allowedLive, candidates.size());
        for (int i = 0; i < excess; i++) {
            victims.add(candidates.get(i));
            victimNames.add(candidates.get(i).name());
        }
        boolean scalingDown = excess > 0;

        // (5) Rolling update: drain outdated workers while enough READY ones remain.
        int minReady = replicas - desired.maxUnavailable();
        int readyLeft = (int) live.stream().filter(w -> w.phase() == Phase.READY && !victimNames.contains(w.name())).count();
        for (ObservedWorker worker : candidates) {
            if (victimNames.contains(worker.name()) || worker.revision().equals(desired.revision())) {
                continue;
            }
            if (worker.phase() != Phase.READY) {
                victims.add(worker); // serves nothing: no availability lost
                victimNames.add(worker.name());
            } else if (readyLeft - 1 >= minReady) {
                victims.add(worker);
                victimNames.add(worker.name());
                readyLeft--;
            }
        }

        List<String> drain = new ArrayList<>();
        for (ObservedWorker victim : victims) {
            (victim.phase() == Phase.PENDING ? delete : drain).add(victim.name());
        }

        // (6) Scale up / surge, counting what is left after this pass's drains.
        int liveAfter = liveCount - victims.size();
        int updatedAfter = pendingUpdated
                + (int) live.stream().filter(w -> w.revision().equals(desired.revision()) && !victimNames.contains(w.name())).count();
        int create = replacingExited ? 0 : Math.max(0, Math.min(replicas - updatedAfter, allowedLive - liveAfter));

        delete.sort(null);
        drain.sort(null); // reclaim is already sorted: it is filled in name order
        int notReady = (int) live.stream().filter(w -> w.phase() != Phase.READY).count();
        boolean progressing = create > 0 || !drain.isEmpty() || !delete.isEmpty() || rolling || notReady > 0
                || draining > 0 || goingAway > 0 || !pending.satisfied() || liveCount != replicas;

        String reason;
        if (replacingExited) {
            List<String> parts = new ArrayList<>();
            if (failed > 0) parts.add("replacing " + workers(failed, "failed "));
            if (recycled > 0) parts.add("replacing " + workers(recycled, "recycled "));
            if (drained > 0) parts.add("removing " + workers(drained, "drained "));
            reason = String.join(", ", parts);
        } else if (rolling) {
            long readyUpdated = live.stream()
                    .filter(w -> w.phase() == Phase.READY && w.revision().equals(desired.revision())).count();
            reason = "rolling " + Math.min(readyUpdated, replicas) + "/" + replicas + " updated";
        } else if (liveCount < replicas) {
            reason = "scaling up " + live.size() + " → " + replicas;
        } else if (scalingDown) {
            reason = "scaling down " + live.size() + " → " + replicas;
        } else if (neverStarted > 0) {
            reason = "deleting " + workers(neverStarted, "drained ") + " that never started";
        } else if (draining + goingAway > 0) {
            reason = "waiting for " + workers(draining + goingAway) + " to drain and exit";
        } else if (notReady > 0) {
            reason = "waiting for " + workers(notReady) + " to become ready";
        } else if (!progressing) {
            reason = replicas == 0 ? "scaled to 0" : "all " + workers(replicas) + " ready";
        } else {
            reason = "waiting for " + pendingNoun(pending) + " to be observed";
        }
        return new Plan(create, drain, delete, reclaim, progressing, reason);
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

    private static String pendingNoun(Expectations.Pending pending) {
        int n = pending.size();
        return n + (n == 1 ? " change" : " changes");
    }
}
