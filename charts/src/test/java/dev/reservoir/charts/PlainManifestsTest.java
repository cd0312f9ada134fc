package dev.reservoir.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * deploy/operator/ (for `kubectl apply -k deploy/operator` without Helm) is the chart rendered with
 * its default values, one file per chart template (rbac.yaml, deployment.yaml, ...), plus the
 * namespace and a kustomization listing them: the chart and the plain manifests cannot disagree.
 * Run with -Dreservoir.chart.update=true to rewrite the rendered files after a chart change.
 */
class PlainManifestsTest {
    static final Path DIR = Helm.REPO.resolve("deploy/operator");
    static final String NAMESPACE = "reservoir-system";
    static final String HAND_WRITTEN = "namespace.yaml";
    static final String KUSTOMIZATION = "kustomization.yaml";
    static final String HEADER = """
            # GENERATED from charts/reservoir (%s) with its default values; do not edit. After a chart change run
            #   ./mvnw -pl charts test -Dreservoir.chart.update=true
            # Install without Helm: kubectl apply -k deploy/operator   (the CRD, the namespace, RBAC, the operator)
            """;
    private static final Pattern SOURCE = Pattern.compile("^# Source: reservoir/templates/([\\w.-]+\\.yaml)$", Pattern.MULTILINE);

    /** file name → content, from `helm template`, one file per chart template that renders something. */
    static Map<String, String> render() {
        String all = Helm.template();
        Map<String, StringBuilder> byTemplate = new TreeMap<>();
        for (String doc : all.split("(?m)^---\\n")) {
            if (doc.isBlank()) {
                continue;
            }
            Matcher m = SOURCE.matcher(doc);
            if (!m.find()) {
                fail("helm template output without a '# Source:' line:\n" + doc);
            }
            byTemplate.computeIfAbsent(m.group(1), k -> new StringBuilder(HEADER.formatted("templates/" + k)))
                    .append("---\n").append(doc);
        }
        Map<String, String> files = new TreeMap<>();
        byTemplate.forEach((k, v) -> files.put(k, v.toString()));
        // The CRD through its own kustomization (deploy/crds/): kustomize refuses a file outside this directory.
        StringBuilder kustomization = new StringBuilder(HEADER.formatted("the file list")).append("resources:\n")
                .append("  - ../crds\n")
                .append("  - ").append(HAND_WRITTEN).append('\n');
        files.keySet().forEach(f -> kustomization.append("  - ").append(f).append('\n'));
        files.put(KUSTOMIZATION, kustomization.toString());
        return files;
    }

    @Test
    void renderedManifestsMatchTheChart() throws IOException {
        Map<String, String> expected = render();
        assertThat(expected).containsKeys("rbac.yaml", "deployment.yaml", "serviceaccount.yaml");
        assertThat(expected).doesNotContainKey(HAND_WRITTEN);
        if (Boolean.getBoolean("reservoir.chart.update")) {
            Files.createDirectories(DIR);
            for (Path stale : files()) {
                if (!stale.getFileName().toString().equals(HAND_WRITTEN)) {
                    Files.delete(stale);
                }
            }
            for (Map.Entry<String, String> e : expected.entrySet()) {
                Files.writeString(DIR.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
            }
            return;
        }
        String hint = ": run ./mvnw -pl charts test -Dreservoir.chart.update=true and commit the result";
        List<String> present = new ArrayList<>(files().stream().map(p -> p.getFileName().toString()).toList());
        present.remove(HAND_WRITTEN);
        assertThat(present).as("files in deploy/operator besides " + HAND_WRITTEN + hint).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertThat(Files.readString(DIR.resolve(e.getKey()), StandardCharsets.UTF_8))
                    .as("deploy/operator/" + e.getKey() + " differs from the chart's rendering" + hint).isEqualTo(e.getValue());
        }
    }

    @Test
    void kustomizeBuildsTheCrdTheNamespaceAndExactlyTheChartsObjects() throws IOException {
        Helm.Result built = Helm.kubectl(List.of("kustomize", DIR.toString()));
        assertThat(built.exitCode()).as("kubectl kustomize deploy/operator\n" + built.stderr()).isZero();
        List<Map<String, Object>> objects = Helm.objects(built.stdout());
        List<Map<String, Object>> expected = new ArrayList<>(Helm.objects(Files.readString(Helm.CHART.resolve("crds/workerpools.reservoir.dev-v1.yml"))));
        expected.addAll(Helm.objects(Files.readString(DIR.resolve(HAND_WRITTEN))));
        expected.addAll(Helm.objects(Helm.template()));
        assertThat(objects.stream().map(PlainManifestsTest::id).sorted().toList())
                .isEqualTo(expected.stream().map(PlainManifestsTest::id).sorted().toList());
        // kustomize orders the namespace and the CRD before what depends on them.
        assertThat(ChartTest.kinds(objects).subList(0, 2)).containsExactlyInAnyOrder("Namespace", "CustomResourceDefinition");
    }

    private static String id(Map<String, Object> o) {
        return o.get("kind") + " " + ChartTest.namespace(o) + "/" + ChartTest.name(o);
    }

    @Test
    void namespaceManifestCreatesTheNamespaceTheRenderedObjectsUse() throws IOException {
        List<Map<String, Object>> ns = Helm.objects(Files.readString(DIR.resolve(HAND_WRITTEN)));
        assertThat(ns).singleElement().satisfies(n -> {
            assertThat(n).containsEntry("kind", "Namespace");
            assertThat(ChartTest.name(n)).isEqualTo(NAMESPACE);
        });
        for (Map<String, Object> o : Helm.objects(Helm.template())) {
            String kind = (String) o.get("kind");
            if (!kind.startsWith("Cluster")) {
                assertThat(ChartTest.namespace(o)).as(kind + " " + ChartTest.name(o)).isEqualTo(NAMESPACE);
            }
        }
    }

    private static List<Path> files() throws IOException {
        if (!Files.isDirectory(DIR)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(DIR)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
