package dev.reservoir.charts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CRD has one source: the operator's resource classes, from which its build generates
 * META-INF/fabric8/workerpools.reservoir.dev-v1.yml. The chart's crds/ and deploy/crds/ are copies
 * of it, byte for byte, and Helm installs exactly that.
 */
class CrdTest {
    static final Path CHART_COPY = Helm.CHART.resolve("crds/workerpools.reservoir.dev-v1.yml");

    @Test
    void helmInstallsExactlyThatCrd() throws IOException {
        Helm.Result shown = Helm.run(List.of("show", "crds", Helm.CHART.toString()));
        assertThat(shown.exitCode()).as(shown.stderr()).isZero();
        List<Map<String, Object>> crds = Helm.objects(shown.stdout());
        assertThat(crds).singleElement().satisfies(crd -> {
            assertThat(crd).containsEntry("kind", "CustomResourceDefinition");
            assertThat(ChartTest.name(crd)).isEqualTo("workerpools.reservoir.dev");
        });
        assertThat(crds.getFirst()).isEqualTo(Helm.objects(Files.readString(CHART_COPY)).getFirst());
        // The chart's templates never carry the CRD (Helm would then delete it, and every pool, on uninstall).
        assertThat(Helm.objects(Helm.template())).noneMatch(o -> "CustomResourceDefinition".equals(o.get("kind")));
    }
}
