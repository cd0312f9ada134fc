package dev.reservoir.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Opens the reservoir-worker image that this build just wrote (offline base) and checks what a
 * container runtime and the operator rely on: the entrypoint starts WorkerMain with native access
 * and a heap that leaves room for the off-heap pool, as a numeric non-root user, with the worker,
 * its libraries and the handlers directory in place.
 */
class WorkerImageIT {
    static ImageTar image;

    @BeforeAll
    static void open() throws IOException {
        image = ImageTar.fromProperty("reservoir.image.tar");
    }

    @Test
    void entrypointStartsTheWorkerWithNativeAccessAndAHeapShare() {
        List<String> entrypoint = image.entrypoint();
        assertThat(entrypoint).first().isEqualTo("java");
        assertThat(entrypoint).contains("--enable-native-access=ALL-UNNAMED", "dev.reservoir.worker.WorkerMain");
        assertThat(entrypoint).anySatisfy(flag -> assertThat(flag).matches("-XX:MaxRAMPercentage=\\d+(\\.\\d+)?"));
        assertThat(entrypoint.getLast()).as("main class last, so container args are the worker's flags").isEqualTo("dev.reservoir.worker.WorkerMain");
        // No -Xmx baked in: the operator passes the exact heap in JDK_JAVA_OPTIONS and a fixed one would fight it.
        assertThat(entrypoint).noneMatch(flag -> flag.startsWith("-Xmx"));
    }

    @Test
    void classpathNamesFilesThatExist() {
        // Jib writes the classpath to an argument file (java -cp @file); every entry must be in the image.
        String cp = image.entrypoint().get(image.entrypoint().indexOf("-cp") + 1);
        assertThat(cp).startsWith("@");
        String argFile = cp.substring(1);
        String classpath = image.text(argFile);
        assertThat(classpath).as(argFile).isNotBlank();
        for (String element : classpath.strip().split(":")) {
            assertThat(image.file(element)).as("classpath element " + element).isNotNull();
        }
        assertThat(classpath).contains("/opt/reservoir/libs/reservoir-worker-");
        assertThat(image.text("/opt/reservoir/jib-main-class-file")).isEqualToIgnoringWhitespace("dev.reservoir.worker.WorkerMain");
    }

    @Test
    void runsAsANumericNonRootUserInItsAppRoot() {
        assertThat(image.user()).matches("[1-9]\\d*:[1-9]\\d*");
        assertThat(image.workingDir()).isEqualTo("/opt/reservoir");
    }

    @Test
    void carriesTheWorkerAndItsLibraries() {
        String version = System.getProperty("reservoir.image.version");
        List<String> libs = image.under("/opt/reservoir/libs");
        assertThat(libs).contains("/opt/reservoir/libs/reservoir-worker-" + version + ".jar",
                "/opt/reservoir/libs/reservoir-common-" + version + ".jar");
        assertThat(libs).anyMatch(p -> p.matches("/opt/reservoir/libs/jedis-[\\d.]+\\.jar"));
        assertThat(libs).anyMatch(p -> p.matches("/opt/reservoir/libs/micrometer-registry-prometheus-[\\d.]+\\.jar"));
        // Test-only artifacts must not ship.
        assertThat(libs).noneMatch(p -> p.contains("junit") || p.contains("embedded-redis") || p.contains("assertj"));
    }

    @Test
    void hasTheHandlersDirectoryWhereTheWorkerLooks() {
        assertThat(image.env()).containsEntry("RESERVOIR_HANDLERS_DIR", "/opt/reservoir/handlers");
        ImageTar.Entry handlers = image.file("/opt/reservoir/handlers");
        assertThat(handlers).isNotNull();
        assertThat(handlers.directory()).isTrue();
        assertThat(handlers.mode() & 0005).as("readable and searchable by the non-root user").isEqualTo(0005);
        // Ships no handler of its own: the built-ins are in the worker jar; users add theirs.
        assertThat(image.under("/opt/reservoir/handlers")).noneMatch(p -> p.endsWith(".jar"));
    }

    @Test
    void exposesTheHttpPortAndCarriesOciLabels() {
        assertThat(image.exposedPorts()).contains("8080/tcp");
        assertThat(image.labels())
                .containsEntry("org.opencontainers.image.version", System.getProperty("reservoir.image.version"))
                .containsEntry("org.opencontainers.image.title", "reservoir-worker")
                .containsKey("org.opencontainers.image.source");
        assertThat(image.labels().get("org.opencontainers.image.source")).startsWith("https://");
    }
}
