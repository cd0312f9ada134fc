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
                "--set", "operator.watchNamespaces={team-a,team-b}"));
        assertThat(full.exitCode()).as(full.stdout() + full.stderr()).isZero();
    }

    @Test
    void byDefaultTheOperatorWatchesOnlyTheReleaseNamespaceWithARoleThere() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template());
        // Nothing cluster-wide is granted to the operator: the only ClusterRoles are the aggregated ones
        // for people, and no ClusterRoleBinding exists at all.
        assertThat(kinds(objects)).doesNotContain("ClusterRoleBinding");
        assertThat(ofKind(objects, "ClusterRole")).extracting(ChartTest::name).containsExactlyInAnyOrder("reservoir-view", "reservoir-edit");
        assertThat(verbsOf(role(objects, "Role", "reservoir-system", "reservoir-operator"))).isEqualTo(new TreeMap<>(OPERATOR_VERBS));
        assertThat(verbsOf(role(objects, "Role", "reservoir-system", "reservoir-operator-leader-election")))
                .isEqualTo(new TreeMap<>(LEADER_ELECTION_VERBS));
        assertThat(ofKind(objects, "Role", "RoleBinding")).allSatisfy(r -> assertThat(namespace(r)).isEqualTo("reservoir-system"));
        assertBindingsNameOnlyTheOperator(objects);
        assertNoWildcards(objects);
        Map<String, Object> container = containers(deployment(objects, "operator")).getFirst();
        assertThat(env(container)).containsEntry("RESERVOIR_OPERATOR_NAMESPACES", "reservoir-system");
    }

    @Test
    void watchingAllNamespacesIsAnExplicitChoiceWithAClusterRole() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "operator.watchAllNamespaces=true"));
        assertThat(verbsOf(role(objects, "ClusterRole", null, "reservoir-operator"))).isEqualTo(new TreeMap<>(OPERATOR_VERBS));
        assertThat(ofKind(objects, "ClusterRoleBinding")).singleElement().satisfies(b ->
                assertThat(get(b, "roleRef.name")).isEqualTo("reservoir-operator"));
        // In the release namespace only the Lease is granted; no per-namespace operator Role besides it.
        assertThat(ofKind(objects, "Role")).extracting(ChartTest::name).containsExactly("reservoir-operator-leader-election");
        assertThat(verbsOf(role(objects, "Role", "reservoir-system", "reservoir-operator-leader-election")))
                .isEqualTo(new TreeMap<>(LEADER_ELECTION_VERBS));
        assertBindingsNameOnlyTheOperator(objects);
        assertNoWildcards(objects);
        Map<String, Object> container = containers(deployment(objects, "operator")).getFirst();
        assertThat(env(container)).as("empty: all namespaces").containsEntry("RESERVOIR_OPERATOR_NAMESPACES", "");

        Helm.Result both = Helm.run(List.of("template", "r", Helm.CHART.toString(),
                "--set", "operator.watchAllNamespaces=true", "--set", "operator.watchNamespaces={team-a}"));
        assertThat(both.exitCode()).isNotZero();
        assertThat(both.stderr()).contains("operator.watchNamespaces", "watchAllNamespaces");
        Helm.Result oldKey = Helm.run(List.of("template", "r", Helm.CHART.toString(), "--set", "watchNamespaces={team-a}"));
        assertThat(oldKey.exitCode()).as("the former top-level key fails instead of being ignored").isNotZero();
    }

    @Test
    void watchedNamespacesGetRolesAndNothingClusterWide() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "operator.watchNamespaces={team-a,team-b}"));
        assertThat(kinds(objects)).doesNotContain("ClusterRoleBinding");
        for (String ns : List.of("team-a", "team-b")) {
            assertThat(verbsOf(role(objects, "Role", ns, "reservoir-operator"))).as(ns).isEqualTo(new TreeMap<>(OPERATOR_VERBS));
            assertThat(ofKind(objects, "RoleBinding")).anyMatch(b -> ns.equals(namespace(b)) && "reservoir-operator".equals(get(b, "roleRef.name")));
        }
        // The release namespace is not watched unless listed: only the Lease is granted there.
        assertThat(ofKind(objects, "Role")).filteredOn(r -> "reservoir-system".equals(namespace(r)))
                .extracting(ChartTest::name).containsExactly("reservoir-operator-leader-election");
        assertBindingsNameOnlyTheOperator(objects);
        assertNoWildcards(objects);
        Map<String, Object> container = containers(deployment(objects, "operator")).getFirst();
        assertThat(env(container)).containsEntry("RESERVOIR_OPERATOR_NAMESPACES", "team-a,team-b");
    }

    @Test
    void workerPoolAccessForPeopleAggregatesIntoViewEditAndAdmin() {
        for (String mode : List.of("operator.watchAllNamespaces=false", "operator.watchAllNamespaces=true")) {
            List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", mode));
            Map<String, Object> view = role(objects, "ClusterRole", null, "reservoir-view");
            Map<String, Object> edit = role(objects, "ClusterRole", null, "reservoir-edit");
            assertThat(map(get(view, "metadata.labels"))).as(mode)
                    .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true")
                    .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true")
                    .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true");
            assertThat(map(get(edit, "metadata.labels"))).as(mode)
                    .doesNotContainKey("rbac.authorization.k8s.io/aggregate-to-view")
                    .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true")
                    .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true");
            Set<String> read = Set.of("get", "list", "watch");
            assertThat(verbsOf(view)).as(mode).isEqualTo(new TreeMap<>(Map.of(
                    "reservoir.dev/workerpools", read, "reservoir.dev/workerpools/status", read, "reservoir.dev/workerpools/scale", read)));
            // Write on the pool and its scale, never on its status (that is the operator's).
            assertThat(verbsOf(edit)).as(mode).isEqualTo(new TreeMap<>(Map.of(
                    "reservoir.dev/workerpools", Set.of("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"),
                    "reservoir.dev/workerpools/scale", Set.of("get", "update", "patch"))));
            // Nobody is bound to them by the chart: the built-in roles carry them to whoever holds those.
            assertThat(ofKind(objects, "ClusterRoleBinding", "RoleBinding"))
                    .noneMatch(b -> String.valueOf(get(b, "roleRef.name")).matches("reservoir-(view|edit)"));
        }
        assertThat(ofKind(Helm.objects(Helm.template("--set", "rbac.aggregateToDefaultRoles=false")), "ClusterRole")).isEmpty();
    }

    @Test
    void withoutLeaderElectionThereIsNoLeaseAccessAndOneOperatorAtATime() {
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "operator.leaderElection.enabled=false,operator.replicas=1"));
        assertThat(ofKind(objects, "Role")).extracting(ChartTest::name).containsExactly("reservoir-operator");
        assertThat(verbsOf(ofKind(objects, "Role").getFirst())).doesNotContainKey("coordination.k8s.io/leases");
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
        assertThat(env(container)).containsEntry("RESERVOIR_OPERATOR_NAMESPACES", "reservoir-system")
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
        List<Map<String, Object>> objects = Helm.objects(Helm.template("--set", "operator.watchNamespaces={team-a,team-b}",
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
        // By default the release namespace is the one watched: the policy goes there.
        assertThat(ofKind(Helm.objects(Helm.template("--set", "workers.networkPolicy.enabled=true")), "NetworkPolicy"))
                .extracting(ChartTest::namespace).containsExactly("reservoir-system");
        Helm.Result allNamespaces = Helm.run(List.of("template", "r", Helm.CHART.toString(), "--set", "workers.networkPolicy.enabled=true",
                "--set", "operator.watchAllNamespaces=true"));
        assertThat(allNamespaces.exitCode()).isNotZero();
        assertThat(allNamespaces.stderr()).contains("workers.networkPolicy.enabled needs the watched namespaces listed");
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

    /** The bindings give the chart's roles to the operator's ServiceAccount, and only to it. */
    static void assertBindingsNameOnlyTheOperator(List<Map<String, Object>> objects) {
        String serviceAccount = name(ofKind(objects, "ServiceAccount").getFirst());
        for (Map<String, Object> binding : ofKind(objects, "ClusterRoleBinding", "RoleBinding")) {
            assertThat(maps(binding.get("subjects"))).as(name(binding)).singleElement().satisfies(s ->
                    assertThat(s).containsEntry("kind", "ServiceAccount").containsEntry("namespace", "reservoir-system")
                            .containsEntry("name", serviceAccount));
        }
    }

    /** The one role of this kind and name (in this namespace when given). */
    static Map<String, Object> role(List<Map<String, Object>> objects, String kind, String namespace, String name) {
        return ofKind(objects, kind).stream()
                .filter(r -> name.equals(name(r)) && (namespace == null || namespace.equals(namespace(r))))
                .reduce((a, b) -> {
                    throw new AssertionError("two " + kind + "s named " + name);
                })
                .orElseThrow(() -> new AssertionError("no " + kind + " " + namespace + "/" + name + " in " + kinds(objects)));
    }

    /** "group/resource" → verbs of one role. */
    static TreeMap<String, Set<String>> verbsOf(Map<String, Object> role) {
        TreeMap<String, Set<String>> out = new TreeMap<>();
        for (Map<String, Object> rule : maps(role.get("rules"))) {
            for (Object group : list(rule.get("apiGroups"))) {
                for (Object resource : list(rule.get("resources"))) {
                    out.computeIfAbsent(group + "/" + resource, k -> new TreeSet<>()).addAll(strings(rule.get("verbs")));
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
