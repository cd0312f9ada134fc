package dev.reservoir.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Opens the reservoir-operator image this build just wrote (offline base) and checks that it runs
 * the Quarkus fast-jar as Quarkus laid it out, as a numeric non-root user.
 */
class OperatorImageIT {
    static final String HOME = "/opt/reservoir/operator";
    static ImageTar image;

    @BeforeAll
    static void open() throws IOException {
        image = ImageTar.fromProperty("reservoir.image.tar");
    }

    @Test
    void entrypointRunsTheQuarkusRunner() {
        assertThat(image.entrypoint()).first().isEqualTo("java");
        assertThat(image.entrypoint()).endsWith("-jar", HOME + "/quarkus-run.jar");
        assertThat(image.entrypoint()).contains("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
        assertThat(image.entrypoint()).anySatisfy(flag -> assertThat(flag).matches("-XX:MaxRAMPercentage=\\d+(\\.\\d+)?"));
        assertThat(image.cmd()).isEmpty();
        assertThat(image.workingDir()).isEqualTo(HOME);
        assertThat(image.user()).matches("[1-9]\\d*:[1-9]\\d*");
    }

    @Test
    void carriesTheWholeFastJarLayout() throws IOException {
        assertThat(image.file(HOME + "/quarkus-run.jar")).isNotNull();
        assertThat(image.file(HOME + "/quarkus/quarkus-application.dat")).isNotNull();
        assertThat(image.under(HOME + "/app")).anyMatch(p -> p.matches(".*/reservoir-operator-.*\\.jar"));
        assertThat(image.under(HOME + "/lib/boot")).isNotEmpty();
        assertThat(image.under(HOME + "/lib/main")).anyMatch(p -> p.contains("reservoir-common-"));
        // Every file Quarkus wrote is in the image, no more and no less.
        Path app = Path.of(System.getProperty("reservoir.operator.app"));
        List<String> expected;
        try (Stream<Path> files = Files.walk(app)) {
            expected = files.filter(Files::isRegularFile).map(p -> HOME + "/" + app.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
        List<String> packed = image.under(HOME).stream().filter(p -> !image.file(p).directory()).toList();
        assertThat(packed).containsExactlyElementsOf(expected);
    }

    @Test
    void packsTheApplicationOnceAndReadableByTheUser() {
        // Not also as a plain Jib classpath app (the operator dependency is provided scope).
        assertThat(image.under("/opt/reservoir/libs")).isEmpty();
        assertThat(image.file(HOME + "/quarkus-run.jar").mode() & 0004).as("world-readable: the user is not the owner").isEqualTo(0004);
    }

    @Test
    void exposesTheHttpPortAndCarriesOciLabels() {
        assertThat(image.exposedPorts()).contains("8080/tcp");
        assertThat(image.labels())
                .containsEntry("org.opencontainers.image.version", System.getProperty("reservoir.image.version"))
                .containsEntry("org.opencontainers.image.title", "reservoir-operator");
        assertThat(image.labels().get("org.opencontainers.image.source")).startsWith("https://");
    }
}
