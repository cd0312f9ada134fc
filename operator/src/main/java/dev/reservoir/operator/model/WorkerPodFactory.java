package dev.reservoir.operator.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.reservoir.api.v1alpha1.PodTemplateOverrides;
import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.protocol.WorkerEnv;
import dev.reservoir.spec.Revision;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the desired worker pod of a pool: a pure function of the pool and its resolved spec (and
 * the name suffix the caller picks), unit-tested without an API server.
 *
 * <p>Why the pod looks the way it does:
 * <ul>
 * <li>restartPolicy Never: a worker that exits (recycled after maxTasksPerWorker, drained, crashed)
 *     is replaced by the operator, which first hands its claimed tasks back; the kubelet restarting
 *     it in place would hide that.</li>
 * <li>terminationGracePeriodSeconds = drainTimeout + {@link #GRACE_MARGIN_SECONDS}: on deletion the
 *     worker gets SIGTERM, drains (finishes in-flight tasks within drainTimeout, hands back the
 *     rest) and exits before the kubelet would SIGKILL it.</li>
 * <li>RESERVOIR_HTTP_TOKEN from the pool's worker-token Secret (created by the operator): only the
 *     operator, and the preStop hook inside the pod, can drain the worker or read its detailed status.</li>
 * <li>Hardened: non-root, read-only root filesystem (an emptyDir on /tmp), no privilege escalation,
 *     all capabilities dropped, seccomp RuntimeDefault, no service account token unless asked for.</li>
 * </ul>
 */
public final class WorkerPodFactory {
    public static final String CONTAINER = "worker";
    public static final int HTTP_PORT = 8080;
    public static final String HTTP_PORT_NAME = "http";
    public static final long GRACE_MARGIN_SECONDS = 15;
    public static final long RUN_AS_USER = 10001;
    /** The key of the pool's worker-token Secret ({@link PoolLabels#workerTokenSecretName}) that holds the token. */
    public static final String WORKER_TOKEN_KEY = "token";
    /**
     * The preStop hook: POST /drain to the worker itself, with the pool's token from the pod's own env (the
     * value never appears in the pod spec). An httpGet hook can only GET, cannot send a header from a Secret,
     * and the worker drains on POST, so bash's /dev/tcp does the request (no curl needed in the image). The
     * kubelet sends SIGTERM right after, which the worker also takes as "drain"; without bash the hook fails
     * harmlessly and SIGTERM alone drains.
     */
    public static final List<String> PRE_STOP_DRAIN = List.of("/bin/bash", "-c",
            "exec 3<>/dev/tcp/127.0.0.1/${RESERVOIR_HTTP_PORT:-8080} && printf 'POST /drain HTTP/1.1\\r\\nHost: localhost\\r\\n"
                    + "Authorization: Bearer %s\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n' \"$RESERVOIR_HTTP_TOKEN\" >&3"
                    + " && cat <&3 >/dev/null; exit 0");

    /** Sorted keys so the template hash does not depend on map order in the user's YAML. */
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .build();

    private WorkerPodFactory() {
    }

    /** The pod named {@code <pool>-<template hash>-<suffix>}, owned by the pool, labelled with its template hash. */
    public static Pod build(WorkerPool pool, ResolvedSpec spec, String suffix) {
        Pod template = template(pool, spec);
        String hash = templateHash(template);
        String poolName = pool.getMetadata().getName();
        return new PodBuilder(template)
                .editMetadata()
                .withName(PoolLabels.podName(poolName, hash, suffix))
                .withNamespace(pool.getMetadata().getNamespace())
                .addToLabels(PoolLabels.TEMPLATE_HASH, hash)
                .withOwnerReferences(ownerReference(pool))
                .endMetadata()
                .build();
    }

    /** The hash of the pod template this spec gives: pods whose label differs are from an older template. */
    public static String templateHash(WorkerPool pool, ResolvedSpec spec) {
        return templateHash(template(pool, spec));
    }

    public static OwnerReference ownerReference(WorkerPool pool) {
        return new OwnerReferenceBuilder()
                .withApiVersion(pool.getApiVersion() == null ? WorkerPool.GROUP + "/" + WorkerPool.VERSION : pool.getApiVersion())
                .withKind("WorkerPool")
                .withName(pool.getMetadata().getName())
                .withUid(pool.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    /** Everything but name, namespace, owner and hash: the part whose change rolls the pool. */
    static Pod template(WorkerPool pool, ResolvedSpec spec) {
        PodTemplateOverrides t = spec.template();
        String poolName = pool.getMetadata().getName();
        Map<String, String> labels = new LinkedHashMap<>();
        if (t.labels != null) {
            labels.putAll(t.labels);
        }
        labels.putAll(PoolLabels.selectorLabels(poolName));
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("prometheus.io/scrape", "true");
        annotations.put("prometheus.io/port", Integer.toString(HTTP_PORT));
        annotations.put("prometheus.io/path", "/metrics");
        if (t.annotations != null) {
            annotations.putAll(t.annotations);
        }
        boolean serviceAccount = t.serviceAccountName != null && !t.serviceAccountName.isBlank();
        return new PodBuilder()
                .withNewMetadata()
                .withLabels(labels)
                .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withTerminationGracePeriodSeconds(spec.drainTimeout().toSeconds() + GRACE_MARGIN_SECONDS)
                .withEnableServiceLinks(false)
                .withAutomountServiceAccountToken(serviceAccount)
                .withServiceAccountName(serviceAccount ? t.serviceAccountName : null)
                .withImagePullSecrets(t.imagePullSecrets)
                .withNodeSelector(t.nodeSelector)
                .withTolerations(t.tolerations)
                .withAffinity(t.affinity)
                .withPriorityClassName(t.priorityClassName)
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(RUN_AS_USER)
                .withRunAsGroup(RUN_AS_USER)
                .withFsGroup(RUN_AS_USER)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .withContainers(container(poolName, spec))
                .addNewVolume().withName("tmp").withNewEmptyDir().withSizeLimit(new io.fabric8.kubernetes.api.model.Quantity("256Mi"))
                .endEmptyDir().endVolume()
                .endSpec()
                .build();
    }

    private static Container container(String poolName, ResolvedSpec spec) {
        PodTemplateOverrides t = spec.template();
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(spec.image())
                .withImagePullPolicy(t.imagePullPolicy)
                .withEnv(env(poolName, spec))
                .addNewPort().withName(HTTP_PORT_NAME).withContainerPort(HTTP_PORT).withProtocol("TCP").endPort()
                .withResources(WorkerResources.merge(spec, t.resources))
                .withStartupProbe(httpProbe("/live", 2, 90, 1))
                .withLivenessProbe(httpProbe("/live", 10, 3, 3))
                .withReadinessProbe(httpProbe("/ready", 5, 1, 2))
                .withNewLifecycle()
                .withNewPreStop().withNewExec().withCommand(PRE_STOP_DRAIN).endExec().endPreStop()
                .endLifecycle()
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withPrivileged(false)
                .withRunAsNonRoot(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .build();
    }

    /** The worker's whole configuration, by the names in {@link WorkerEnv}; user env comes after and cannot shadow these. */
    static List<EnvVar> env(String poolName, ResolvedSpec spec) {
        List<EnvVar> env = new ArrayList<>();
        env.add(plain(WorkerEnv.POOL, poolName));
        env.add(new EnvVarBuilder().withName(WorkerEnv.WORKER_ID).withNewValueFrom().withNewFieldRef()
                .withFieldPath("metadata.name").endFieldRef().endValueFrom().build());
        env.add(plain(WorkerEnv.REDIS_URL, spec.redisUrl()));
        if (spec.passwordSecretRef() != null) {
            env.add(new EnvVarBuilder().withName(WorkerEnv.REDIS_PASSWORD).withNewValueFrom().withNewSecretKeyRef()
                    .withName(spec.passwordSecretRef().name).withKey(spec.passwordSecretRef().key).withOptional(false)
                    .endSecretKeyRef().endValueFrom().build());
        }
        // The pool's settings by the one mapping local mode uses too (unset block counts are left to the worker).
        spec.settings().toEnv().forEach((name, value) -> env.add(plain(name, value)));
        env.add(plain(WorkerEnv.HTTP_PORT, Integer.toString(HTTP_PORT)));
        env.add(new EnvVarBuilder().withName(WorkerEnv.HTTP_TOKEN).withNewValueFrom().withNewSecretKeyRef()
                .withName(PoolLabels.workerTokenSecretName(poolName)).withKey(WORKER_TOKEN_KEY).withOptional(false)
                .endSecretKeyRef().endValueFrom().build());
        List<EnvVar> user = spec.template().env == null ? List.of() : spec.template().env;
        if (user.stream().noneMatch(e -> "JDK_JAVA_OPTIONS".equals(e.getName()))) {
            env.add(plain("JDK_JAVA_OPTIONS", WorkerResources.derive(spec).jvmOptions()));
        }
        user.stream().filter(e -> e.getName() == null || !e.getName().startsWith("RESERVOIR_")).forEach(env::add);
        return env;
    }

    private static EnvVar plain(String name, String value) {
        return new EnvVar(name, value, null);
    }

    private static Probe httpProbe(String path, int periodSeconds, int failureThreshold, int timeoutSeconds) {
        return new ProbeBuilder()
                .withNewHttpGet().withPath(path).withPort(new IntOrString(HTTP_PORT_NAME)).endHttpGet()
                .withPeriodSeconds(periodSeconds)
                .withFailureThreshold(failureThreshold)
                .withTimeoutSeconds(timeoutSeconds)
                .build();
    }

    static String templateHash(Pod template) {
        try {
            Map<String, Object> hashed = new LinkedHashMap<>();
            hashed.put("labels", template.getMetadata().getLabels());
            hashed.put("annotations", template.getMetadata().getAnnotations());
            hashed.put("spec", template.getSpec());
            return Revision.of(CANONICAL.writeValueAsBytes(hashed));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot hash a pod template", e);
        }
    }

    /** Helper for callers that only have a pod: its template hash label, or "" when missing. */
    public static String templateHashOf(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels == null ? "" : labels.getOrDefault(PoolLabels.TEMPLATE_HASH, "");
    }
}
