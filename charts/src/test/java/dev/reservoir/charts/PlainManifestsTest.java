package dev.reservoir.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/operator/ (for `kubectl apply` without Helm) is the chart rendered with its default values,
 * so the chart and the plain manifests cannot disagree. Run with -Dreservoir.chart.update=true to
 * rewrite it after a chart change.
 */
class PlainManifestsTest {
    static final Path DIR = Helm.REPO.resolve("deploy/operator");
    static final Path RENDERED = DIR.resolve("reservoir-operator.yaml");
    static final String NAMESPACE = "reservoir-system";
    static final String HEADER = """
            # GENERATED from charts/reservoir with its default values; do not edit. After a chart change run:
            #   ./mvnw -pl charts test -Dreservoir.chart.update=true
            # (helm template reservoir charts/reservoir --namespace reservoir-system). Apply with:
            #   kubectl apply -f deploy/crds/ -f deploy/operator/
            """;

    @Test
    void renderedManifestsMatchTheChart() throws IOException {
        String expected = HEADER + Helm.template();
        if (Boolean.getBoolean("reservoir.chart.update")) {
            Files.createDirectories(DIR);
            Files.writeString(RENDERED, expected, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.exists(RENDERED)) {
            fail(RENDERED + " is missing: run ./mvnw -pl charts test -Dreservoir.chart.update=true");
        }
        String actual = Files.readString(RENDERED, StandardCharsets.UTF_8);
        assertThat(actual).as(Helm.REPO.relativize(RENDERED) + " differs from the chart's rendering: run"
                + " ./mvnw -pl charts test -Dreservoir.chart.update=true and commit the result").isEqualTo(expected);
    }

    @Test
    void namespaceManifestCreatesTheNamespaceTheRenderedObjectsUse() throws IOException {
        List<Map<String, Object>> ns = Helm.objects(Files.readString(DIR.resolve("namespace.yaml")));
        assertThat(ns).singleElement().satisfies(n -> {
            assertThat(n).containsEntry("kind", "Namespace");
            assertThat(ChartTest.name(n)).isEqualTo(NAMESPACE);
        });
        List<Map<String, Object>> objects = Helm.objects(Helm.template());
        for (Map<String, Object> o : objects) {
            String kind = (String) o.get("kind");
            if (!kind.startsWith("Cluster")) {
                assertThat(ChartTest.namespace(o)).as(kind + " " + ChartTest.name(o)).isEqualTo(NAMESPACE);
            }
        }
    }
}
