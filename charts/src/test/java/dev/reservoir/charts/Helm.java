package dev.reservoir.charts;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Runs the real helm (and kubectl) binaries on the chart. Where they are: $HELM / $KUBECTL, else
 * tools/bin/ (installed by .ci/install-tools.sh), else PATH. Without them the chart tests are skipped
 * with a message on a developer machine, and fail in CI (CI=true), where a skipped chart check would
 * hide a broken chart.
 */
final class Helm {
    static final Path REPO = Path.of(System.getProperty("reservoir.repo.root", "..")).toAbsolutePath().normalize();
    static final Path CHART = REPO.resolve("charts/reservoir");
    private static final Path BINARY = locate("HELM", "helm");
    private static final Path KUBECTL = locate("KUBECTL", "kubectl");

    record Result(int exitCode, String stdout, String stderr) {
    }

    private Helm() {
    }

    /** $VAR, else tools/bin/NAME (the pinned version .ci/install-tools.sh installs), else NAME on PATH. */
    private static Path locate(String envVar, String name) {
        String env = System.getenv(envVar);
        if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) {
            return Path.of(env);
        }
        Path tools = REPO.resolve("tools/bin/" + name);
        if (Files.isExecutable(tools)) {
            return tools;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Skips the calling test when helm is missing on a developer machine; fails it in CI. */
    static void require() {
        require(BINARY, "helm", "HELM");
    }

    private static void require(Path binary, String name, String envVar) {
        if (binary != null) {
            return;
        }
        String message = name + " not found (looked at $" + envVar + ", " + REPO.resolve("tools/bin/" + name) + ", PATH): run bash .ci/install-tools.sh";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message + " (CI=true: the chart must be checked here, not skipped)");
        }
        Assumptions.abort(message + "; chart tests skipped");
    }

    static Result run(List<String> args) {
        require();
        return exec(BINARY, args);
    }

    /** kubectl (client-side only here: there is no cluster), found like helm. */
    static Result kubectl(List<String> args) {
        require(KUBECTL, "kubectl", "KUBECTL");
        return exec(KUBECTL, args);
    }

    private static Result exec(Path binary, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(args);
        try {
            Process p = new ProcessBuilder(command).directory(REPO.toFile()).start();
            // Read both streams at once so a full pipe never blocks helm.
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            String out = readAll(p.getInputStream());
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail(binary.getFileName() + " " + args + " did not finish in 2 minutes");
            }
            return new Result(p.exitValue(), out, err.join());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** helm template of the chart with these extra arguments; fails the test with helm's message if it fails. */
    static String template(String... extra) {
        List<String> args = new ArrayList<>(List.of("template", "reservoir", CHART.toString(), "--namespace", "reservoir-system"));
        args.addAll(List.of(extra));
        Result r = run(args);
        if (r.exitCode() != 0) {
            fail("helm " + String.join(" ", args) + " failed (" + r.exitCode() + "):\n" + r.stderr());
        }
        return r.stdout();
    }

    /**
     * The rendered documents, each as a map (empty documents dropped). Duplicate keys fail, as they do
     * in kubectl and kustomize (Helm itself lets the last one win silently).
     */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> objects(String rendered) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object doc : new Yaml(options).loadAll(rendered)) {
            if (doc instanceof Map<?, ?> m) {
                out.add((Map<String, Object>) m);
            }
        }
        return out;
    }

    private static String readAll(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<unreadable: " + e.getMessage() + ">";
        }
    }
}
