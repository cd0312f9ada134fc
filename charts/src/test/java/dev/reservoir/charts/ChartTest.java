package dev.reservoir.charts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** What the chart renders, checked with the real helm: lint, RBAC, pod hardening, the values schema. */
class ChartTest {

    /** Every verb the operator's code needs, by resource (docs/kubernetes.md, "Security model"). Nothing more. */
    static final Map<String, Set<String>> OPERATOR_VERBS = Map.of(
            "reservoir.dev/workerpools", Set.of("get", "list", "watch", "patch"),
            "reservoir.dev/workerpools/status", Set.of("get", "patch"),
            "reservoir.dev/workerpools/finalizers", Set.of("update"),
            "/pods", Set.of("get", "list", "watch", "create", "patch", "delete"),
            "/events", Set.of("create"),
            "/secrets", Set.of("get", "create"));
    static final Map<String, Set<String>> LEADER_ELECTION_VERBS = Map.of(
            "coordination.k8s.io/leases", Set.of("get", "create", "update", "patch"));

    @Test
    void lintStrictPassesWithDefaultAndFullValues() {
        Helm.Result plain = Helm.run(List.of("lint", "--strict", Helm.CHART.toString()));
        assertThat(plain.exitCode()).as(plain.stdout() + plain.stderr()).isZero();
        Helm.Result full = Helm.run(List.of("lint", "--strict", Helm.CHART.toString(),
                "--set", "redis.enabled=true,redis.password=secret,metrics.serviceMonitor.enabled=true,operator.replicas=2",
                "--set", "watchNamespaces={team-a,team-b}"));
        assertThat(full.exitCode()).as(full.stdout() + full.stderr()).isZero();
    }

    @Test
    void clusterWideRbacGrantsExactlyWhatTheOperatorUses() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template());
        assertThat(kinds(objects)).contains("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount");
        assertThat(verbsByResource(objects, "ClusterRole", null)).isEqualTo(new TreeMap<>(OPERATOR_VERBS));
        assertThat(verbsByResource(objects, "Role", "reservoir-system")).isEqualTo(new TreeMap<>(LEADER_ELECTION_VERBS));
        assertNoWildcards(objects);
        // The bindings give these roles to the operator's ServiceAccount, and only to it.
        for (Map<String, Object> binding : ofKind(objects, "ClusterRoleBinding", "RoleBinding")) {
            List<Map<String, Object>> subjects = maps(binding.get("subjects"));
            assertThat(subjects).singleElement().satisfies(s -> {
                assertThat(s).containsEntry("kind", "ServiceAccount").containsEntry("namespace", "reservoir-system")
                        .containsEntry("name", name(ofKind(objects, "ServiceAccount").getFirst()));
            });
        }
    }

    @Test
    void watchedNamespacesGetRolesAndNothingClusterWide() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "watchNamespaces={team-a,team-b}"));
        assertThat(kinds(objects)).doesNotContain("ClusterRole", "ClusterRoleBinding");
        for (String ns : List.of("team-a", "team-b")) {
            assertThat(verbsByResource(objects, "Role", ns)).as(ns).isEqualTo(new TreeMap<>(OPERATOR_VERBS));
            assertThat(ofKind(objects, "RoleBinding")).anyMatch(b -> ns.equals(namespace(b)));
        }
        assertNoWildcards(objects);
        Map<String, Object> container = containers(deployment(objects, "operator")).getFirst();
        assertThat(env(container)).containsEntry("RESERVOIR_OPERATOR_NAMESPACES", "team-a,team-b");
    }

    @Test
    void withoutLeaderElectionThereIsNoLeaseAccessAndOneOperatorAtATime() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "operator.leaderElection.enabled=false,operator.replicas=1"));
        assertThat(ofKind(objects, "Role")).isEmpty();
        Map<String, Object> deployment = deployment(objects, "operator");
        assertThat(get(deployment, "spec.strategy.type")).isEqualTo("Recreate");
        Helm.Result twoLeaders = Helm.run(List.of("template", "r", Helm.CHART.toString(),
                "--set", "operator.leaderElection.enabled=false,operator.replicas=2"));
        assertThat(twoLeaders.exitCode()).isNotZero();
        assertThat(twoLeaders.stderr()).contains("operator.replicas").contains("leaderElection");
    }

    @Test
    void everyPodIsNonRootWithAReadOnlyRootFilesystem() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "redis.enabled=true,redis.password=pw"));
        List<Map<String, Object>> deployments = ofKind(objects, "Deployment");
        assertThat(deployments).hasSize(2); // the operator and the try-out Redis
        for (Map<String, Object> d : deployments) {
            Map<String, Object> pod = map(get(d, "spec.template.spec"));
            Map<String, Object> podSecurity = map(pod.get("securityContext"));
            assertThat(podSecurity).as(name(d)).containsEntry("runAsNonRoot", true);
            assertThat(((Number) podSecurity.get("runAsUser")).longValue()).as(name(d)).isPositive();
            assertThat(get(podSecurity, "seccompProfile.type")).as(name(d)).isEqualTo("RuntimeDefault");
            for (Map<String, Object> c : containers(d)) {
                Map<String, Object> sc = map(c.get("securityContext"));
                assertThat(sc).as(name(d) + "/" + c.get("name"))
                        .containsEntry("readOnlyRootFilesystem", true)
                        .containsEntry("allowPrivilegeEscalation", false)
                        .containsEntry("runAsNonRoot", true);
                assertThat(list(get(sc, "capabilities.drop"))).as(name(d)).contains((Object) "ALL");
                assertThat(map(c.get("resources"))).as(name(d) + " resources").containsKeys("requests", "limits");
                assertThat(c).as(name(d) + " probes").containsKeys("readinessProbe", "livenessProbe");
            }
        }
    }

    @Test
    void operatorProbesHitTheQuarkusHealthEndpoints() {
        Map<String, Object> container = containers(deployment(Helm.objects(Helm.template()), "operator")).getFirst();
        assertThat(get(container, "readinessProbe.httpGet.path")).isEqualTo("/q/health/ready");
        assertThat(get(container, "livenessProbe.httpGet.path")).isEqualTo("/q/health/live");
        assertThat(get(container, "startupProbe.httpGet.path")).isEqualTo("/q/health/live");
        assertThat(maps(container.get("ports"))).anySatisfy(p -> assertThat(p).containsEntry("containerPort", 8080));
        assertThat(env(container)).containsEntry("RESERVOIR_OPERATOR_NAMESPACES", "")
                .containsEntry("RESERVOIR_OPERATOR_LEADER_ELECTION_ENABLED", "true");
        assertThat(maps(container.get("volumeMounts"))).anySatisfy(m -> assertThat(m).containsEntry("mountPath", "/tmp"));
    }

    @Test
    void overridesReachTheRenderedObjects() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template(
                "--set", "operator.image.repository=registry.example/reservoir-operator,operator.image.tag=1.2.3",
                "--set", "operator.nodeSelector.pool=system,operator.extraEnv[0].name=HTTPS_PROXY,operator.extraEnv[0].value=http://proxy:3128",
                "--set", "operator.jvmOptions=-Xmx300m"));
        Map<String, Object> d = deployment(objects, "operator");
        Map<String, Object> container = containers(d).getFirst();
        assertThat(container).containsEntry("image", "registry.example/reservoir-operator:1.2.3");
        assertThat(map(get(d, "spec.template.spec.nodeSelector"))).containsEntry("pool", "system");
        assertThat(env(container)).containsEntry("HTTPS_PROXY", "http://proxy:3128").containsEntry("JDK_JAVA_OPTIONS", "-Xmx300m");
    }

    @Test
    void valuesSchemaRejectsATypoAndAWrongType() {
        Helm.Result typo = Helm.run(List.of("template", "r", Helm.CHART.toString(), "--set", "operator.replicass=2"));
        assertThat(typo.exitCode()).isNotZero();
        assertThat(typo.stderr()).contains("replicass");
        Helm.Result wrongType = Helm.run(List.of("template", "r", Helm.CHART.toString(), "--set", "operator.resyncInterval=10"));
        assertThat(wrongType.exitCode()).isNotZero();
        assertThat(wrongType.stderr()).contains("resyncInterval");
        Helm.Result badPolicy = Helm.run(List.of("lint", "--strict", Helm.CHART.toString(), "--set", "operator.image.pullPolicy=Sometimes"));
        assertThat(badPolicy.exitCode()).isNotZero();
        assertThat(badPolicy.stdout() + badPolicy.stderr()).contains("pullPolicy");
    }

    @Test
    void workerNetworkPolicyAdmitsOnlyTheOperatorAndPrometheusInEachWatchedNamespace() {
        assertThat(kinds(Helm.objects(Helm.template()))).as("off by default").doesNotContain("NetworkPolicy");
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "watchNamespaces={team-a,team-b}",
                "--set", "workers.networkPolicy.enabled=true",
                "--set", "workers.networkPolicy.prometheus.namespaceSelector.matchLabels.team=observability",
                "--set", "workers.networkPolicy.prometheus.podSelector.matchLabels.app=prom"));
        List<Map<String, Object>> policies = ofKind(objects, "NetworkPolicy");
        assertThat(policies).extracting(ChartTest::namespace).containsExactlyInAnyOrder("team-a", "team-b");
        Map<String, Object> operatorPodLabels = map(get(deployment(objects, "operator"), "spec.template.metadata.labels"));
        for (Map<String, Object> policy : policies) {
            // the labels the operator puts on every worker pod (PoolLabels.selectorLabels)
            assertThat(map(get(policy, "spec.podSelector.matchLabels"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "app.kubernetes.io/name", "reservoir-worker", "app.kubernetes.io/managed-by", "reservoir-operator"));
            assertThat(strings(get(policy, "spec.policyTypes"))).containsExactly("Ingress");
            List<Map<String, Object>> ingress = maps(get(policy, "spec.ingress"));
            assertThat(ingress).hasSize(2).allSatisfy(rule -> {
                assertThat(maps(rule.get("ports"))).singleElement().satisfies(p -> assertThat(p).containsEntry("port", "http"));
                assertThat(maps(rule.get("from"))).singleElement().satisfies(peer -> assertThat(peer).containsKeys("namespaceSelector", "podSelector"));
            });
            Map<String, Object> operator = maps(ingress.get(0).get("from")).getFirst();
            assertThat(map(get(operator, "namespaceSelector.matchLabels"))).containsExactly(Map.entry("kubernetes.io/metadata.name", "reservoir-system"));
            Map<String, Object> operatorSelector = map(get(operator, "podSelector.matchLabels"));
            assertThat(operatorPodLabels).as("the operator's pods match the rule").containsAllEntriesOf(operatorSelector);
            assertThat(operatorSelector).containsEntry("app.kubernetes.io/component", "operator");
            Map<String, Object> prometheus = maps(ingress.get(1).get("from")).getFirst();
            assertThat(map(get(prometheus, "namespaceSelector.matchLabels"))).containsEntry("team", "observability");
            assertThat(map(get(prometheus, "podSelector.matchLabels"))).containsEntry("app", "prom");
        }
        Helm.Result allNamespaces = Helm.run(List.of("template", "r", Helm.CHART.toString(), "--set", "workers.networkPolicy.enabled=true"));
        assertThat(allNamespaces.exitCode()).isNotZero();
        assertThat(allNamespaces.stderr()).contains("workers.networkPolicy.enabled needs watchNamespaces");
    }

    @Test
    void redisIsOffByDefault() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template());
        assertThat(objects).noneMatch(o -> name(o).endsWith("-redis"));
        assertThat(kinds(objects)).doesNotContain("Secret", "ServiceMonitor");
    }

    @Test
    void theTryOutRedisKeepsAnAppendOnlyFileAndNeverEvicts() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "redis.enabled=true"));
        Map<String, Object> redis = deployment(objects, "redis");
        List<String> args = strings(containers(redis).getFirst().get("args"));
        assertThat(String.join(" ", args)).contains("--appendonly yes").contains("--appendfsync everysec").contains("--dir /data")
                .contains("--maxmemory 1gb").contains("--maxmemory-policy noeviction");
        List<Map<String, Object>> claims = ofKind(objects, "PersistentVolumeClaim");
        assertThat(claims).hasSize(1);
        assertThat(get(claims.getFirst(), "spec.resources.requests.storage")).isEqualTo("4Gi");
        assertThat(maps(get(redis, "spec.template.spec.volumes")))
                .anySatisfy(v -> assertThat(get(v, "persistentVolumeClaim.claimName")).isEqualTo(name(claims.getFirst())));
        // above maxmemory: room for the rewrite's copy-on-write pages
        assertThat(get(containers(redis).getFirst(), "resources.limits.memory")).isEqualTo("1536Mi");

        List<Map<String, Object>> ephemeral = Helm.objects(Helm.template("--set", "redis.enabled=true,redis.persistence.enabled=false"));
        assertThat(ofKind(ephemeral, "PersistentVolumeClaim")).isEmpty();
        assertThat(maps(get(deployment(ephemeral, "redis"), "spec.template.spec.volumes")))
                .anySatisfy(v -> assertThat(v).containsKey("emptyDir"));
        assertThat(String.join(" ", strings(containers(deployment(ephemeral, "redis")).getFirst().get("args"))))
                .contains("--appendonly yes");
    }

    // ---- helpers over the rendered YAML ----

    static void assertNoWildcards(List<Map<String, Object>> objects) {
        for (Map<String, Object> role : ofKind(objects, "ClusterRole", "Role")) {
            for (Map<String, Object> rule : maps(role.get("rules"))) {
                for (String field : List.of("verbs", "resources", "apiGroups")) {
                    assertThat(list(rule.get(field))).as(name(role) + " " + field).doesNotContain((Object) "*");
                }
            }
        }
    }

    /** "group/resource" → verbs, over the roles of this kind (in this namespace when given). */
    static TreeMap<String, Set<String>> verbsByResource(List<Map<String, Object>> objects, String kind, String namespace) {
        TreeMap<String, Set<String>> out = new TreeMap<>();
        for (Map<String, Object> role : ofKind(objects, kind)) {
            if (namespace != null && !namespace.equals(namespace(role))) {
                continue;
            }
            for (Map<String, Object> rule : maps(role.get("rules"))) {
                for (Object group : list(rule.get("apiGroups"))) {
                    for (Object resource : list(rule.get("resources"))) {
                        out.computeIfAbsent(group + "/" + resource, k -> new TreeSet<>()).addAll(strings(rule.get("verbs")));
                    }
                }
            }
        }
        out.replaceAll((k, v) -> Set.copyOf(v));
        return out;
    }

    static Map<String, Object> deployment(List<Map<String, Object>> objects, String component) {
        return ofKind(objects, "Deployment").stream()
                .filter(d -> component.equals(map(get(d, "metadata.labels")).get("app.kubernetes.io/component")))
                .findFirst().orElseThrow(() -> new AssertionError("no Deployment of component " + component));
    }

    static List<Map<String, Object>> containers(Map<String, Object> deployment) {
        return maps(get(deployment, "spec.template.spec.containers"));
    }

    static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new HashMap<>();
        for (Map<String, Object> e : maps(container.get("env"))) {
            env.put((String) e.get("name"), e.get("value") == null ? null : String.valueOf(e.get("value")));
        }
        return env;
    }

    static List<Map<String, Object>> ofKind(List<Map<String, Object>> objects, String... kinds) {
        Set<String> wanted = Set.of(kinds);
        return objects.stream().filter(o -> wanted.contains(o.get("kind"))).toList();
    }

    static List<String> kinds(List<Map<String, Object>> objects) {
        return objects.stream().map(o -> (String) o.get("kind")).toList();
    }

    static String name(Map<String, Object> object) {
        return (String) map(object.get("metadata")).get("name");
    }

    static String namespace(Map<String, Object> object) {
        return (String) map(object.get("metadata")).get("namespace");
    }

    /** A dotted path into nested maps; null when any step is missing. */
    static Object get(Object root, String path) {
        Object cur = root;
        for (String step : path.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = m.get(step);
        }
        return cur;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Object o) {
        return o == null ? List.of() : (List<Map<String, Object>>) o;
    }

    static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        list(o).forEach(x -> out.add(String.valueOf(x)));
        return out;
    }
}
