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
    static final String GENERATED = "META-INF/fabric8/workerpools.reservoir.dev-v1.yml";
    static final Path CHART_COPY = Helm.CHART.resolve("crds/workerpools.reservoir.dev-v1.yml");
    static final Path DEPLOY_COPY = Helm.REPO.resolve("deploy/crds/workerpools.reservoir.dev-v1.yml");

    @Test
    void chartCrdIsTheGeneratedOne() throws IOException {
        // The operator module is built before this one (root pom order), so its generated CRD is there.
        Path generated = Helm.REPO.resolve("operator/target/classes").resolve(GENERATED);
        if (!Files.isRegularFile(generated)) {
            String message = generated + " is missing: build the operator module first (./mvnw -pl operator -am package -DskipTests)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                org.junit.jupiter.api.Assertions.fail(message + " (CI=true: the full build makes it before these tests)");
            }
            org.junit.jupiter.api.Assumptions.abort(message + "; the chart's CRD is still compared with deploy/crds");
        }
        assertThat(Files.readString(CHART_COPY)).as(Helm.REPO.relativize(CHART_COPY) + " differs from the CRD the operator"
                + " build generates: cp " + Helm.REPO.relativize(generated) + " " + Helm.REPO.relativize(CHART_COPY))
                .isEqualTo(Files.readString(generated));
    }

    @Test
    void deployCrdIsTheSameCopy() throws IOException {
        assertThat(Files.readString(DEPLOY_COPY)).as(Helm.REPO.relativize(DEPLOY_COPY) + " vs " + Helm.REPO.relativize(CHART_COPY))
                .isEqualTo(Files.readString(CHART_COPY));
    }

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
