package dev.reservoir.pool;

/** Short builders for observed workers, so a table row reads like `kubectl get pods`. */
final class Workers {

    static final String CURRENT = "rev-2";
    static final String OUTDATED = "rev-1";

    private Workers() {}

    /** A worker on the current revision, created at a time derived from its name so ordering is fixed. */
    static ObservedWorker worker(String name, Phase phase, int inFlight) {
        return new ObservedWorker(name, CURRENT, phase, false, inFlight, 1_000);
    }

    static ObservedWorker ready(String name, int inFlight) {
        return worker(name, Phase.READY, inFlight);
    }

    static ObservedWorker outdated(ObservedWorker w) {
        return new ObservedWorker(w.name(), OUTDATED, w.phase(), w.draining(), w.inFlight(), w.createdAtMillis());
    }

    static ObservedWorker draining(ObservedWorker w) {
        return new ObservedWorker(w.name(), w.revision(), w.phase(), true, w.inFlight(), w.createdAtMillis());
    }

    static ObservedWorker createdAt(ObservedWorker w, long createdAtMillis) {
        return new ObservedWorker(w.name(), w.revision(), w.phase(), w.draining(), w.inFlight(), createdAtMillis);
    }

    static ObservedWorker withPhase(ObservedWorker w, Phase phase) {
        return new ObservedWorker(w.name(), w.revision(), phase, w.draining(), w.inFlight(), w.createdAtMillis());
    }
}
