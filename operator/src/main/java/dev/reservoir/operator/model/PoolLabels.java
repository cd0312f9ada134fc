package dev.reservoir.operator.model;

import dev.reservoir.api.v1alpha1.WorkerPool;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names, labels and annotations of a pool's pods: the single source of truth, used by the pod
 * factory, the informer's selector, the status selector and the tests.
 */
public final class PoolLabels {
    public static final String POOL = "reservoir.dev/pool";
    public static final String TEMPLATE_HASH = "reservoir.dev/template-hash";
    public static final String NAME = "app.kubernetes.io/name";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String COMPONENT_NAME = "reservoir-worker";
    public static final String MANAGER = "reservoir-operator";
    /** Set on a pod the operator asked to drain, with the time it asked (epoch ms): survives an operator restart. */
    public static final String DRAIN_ANNOTATION = "reservoir.dev/drain";

    /** The selector every informer of the operator uses: only pods this operator manages. */
    public static final String MANAGED_SELECTOR = MANAGED_BY + "=" + MANAGER;

    private PoolLabels() {
    }

    /** Labels that identify the pods of one pool (any template revision). */
    public static Map<String, String> selectorLabels(String poolName) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME, COMPONENT_NAME);
        labels.put(MANAGED_BY, MANAGER);
        labels.put(POOL, poolName);
        return labels;
    }

    public static Map<String, String> selectorLabels(WorkerPool pool) {
        return selectorLabels(pool.getMetadata().getName());
    }

    /** The label selector in its string form, as status.selector (scale subresource, HPA) wants it. */
    public static String selectorString(String poolName) {
        StringBuilder sb = new StringBuilder();
        selectorLabels(poolName).forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }

    /**
     * A worker pod's name: {@code <pool>-<template hash>-<suffix>}. Predictable in shape (which pool, which
     * template revision), unique over time so a replacement never reuses a dead worker's id in Redis
     * (its consumer and heartbeat may still be there).
     */
    public static String podName(String poolName, String templateHash, String suffix) {
        return poolName + "-" + templateHash + "-" + suffix;
    }

    /** The Secret holding the pool's worker token (the bearer token for the workers' drain and status). */
    public static String workerTokenSecretName(String poolName) {
        return poolName + "-worker-token";
    }
}
