package dev.reservoir.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * An image as Jib's {@code buildTar} writes it (Docker archive format: manifest.json, the config
 * JSON, one gzipped tar per layer), read back the way a container runtime would see it: the config
 * (entrypoint, user, working directory, env, labels) and the merged file tree of all layers.
 */
public final class ImageTar {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file or directory of the merged tree, as the runtime would lay it out. */
    public record Entry(String path, boolean directory, long size, int mode, long uid, long gid) {
    }

    /** Files up to this size keep their content (argument files, properties, scripts); jars do not. */
    private static final long SMALL_FILE = 64 * 1024;

    private final JsonNode config;
    private final Map<String, Entry> files;
    private final Map<String, byte[]> smallFiles;
    private final int layerCount;

    private ImageTar(JsonNode config, Map<String, Entry> files, Map<String, byte[]> smallFiles, int layerCount) {
        this.config = config;
        this.files = files;
        this.smallFiles = smallFiles;
        this.layerCount = layerCount;
    }

    /** The tar named by the system property (set by the module's failsafe configuration). */
    public static ImageTar fromProperty(String property) throws IOException {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set: run these tests with Maven (failsafe sets it)");
        }
        Path tar = Path.of(value);
        if (!Files.isRegularFile(tar)) {
            throw new IllegalStateException(tar + " does not exist: jib:buildTar (execution layout-check-tar) did not run");
        }
        return read(tar);
    }

    public static ImageTar read(Path tar) throws IOException {
        // First pass: the small JSON documents and the layer blobs, by name.
        Map<String, byte[]> blobs = new HashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (e.isFile()) {
                    blobs.put(e.getName(), in.readAllBytes());
                }
            }
        }
        byte[] manifestBytes = blobs.get("manifest.json");
        if (manifestBytes == null) {
            throw new IOException(tar + " has no manifest.json: not a Docker-format image archive");
        }
        JsonNode manifest = JSON.readTree(manifestBytes).get(0);
        JsonNode config = JSON.readTree(blobs.get(manifest.get("Config").asText()));
        Map<String, Entry> files = new LinkedHashMap<>();
        Map<String, byte[]> small = new HashMap<>();
        int layers = 0;
        for (JsonNode layer : manifest.get("Layers")) {
            layers++;
            try (InputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(blobs.get(layer.asText())));
                 TarArchiveInputStream in = new TarArchiveInputStream(gz)) {
                TarArchiveEntry e;
                while ((e = in.getNextEntry()) != null) {
                    String path = "/" + e.getName().replaceFirst("^\\./", "").replaceFirst("^/", "").replaceFirst("/$", "");
                    // Later layers win, as in an overlay filesystem (Jib writes no whiteouts).
                    files.put(path, new Entry(path, e.isDirectory(), e.getSize(), e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId()));
                    if (e.isFile() && e.getSize() <= SMALL_FILE) {
                        small.put(path, in.readAllBytes());
                    }
                }
            }
        }
        return new ImageTar(config, files, small, layers);
    }

    /**
     * Writes the image's merged file tree under {@code dest} (regular files and directories only; Jib
     * writes no links), so a test can run what the image would run with a local JVM.
     */
    public static void extract(Path tar, Path dest) throws IOException {
        Map<String, byte[]> blobs = new HashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (e.isFile()) {
                    blobs.put(e.getName(), in.readAllBytes());
                }
            }
        }
        JsonNode manifest = JSON.readTree(blobs.get("manifest.json")).get(0);
        Path root = dest.toAbsolutePath().normalize();
        for (JsonNode layer : manifest.get("Layers")) {
            try (InputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(blobs.get(layer.asText())));
                 TarArchiveInputStream in = new TarArchiveInputStream(gz)) {
                TarArchiveEntry e;
                while ((e = in.getNextEntry()) != null) {
                    Path target = root.resolve(e.getName().replaceFirst("^/", "")).normalize();
                    if (!target.startsWith(root)) {
                        throw new IOException("layer entry outside the image root: " + e.getName());
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(target);
                    } else if (e.isFile()) {
                        Files.createDirectories(target.getParent());
                        Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }

    /** The container config ("config" in the image config JSON). */
    public JsonNode containerConfig() {
        return config.get("config");
    }

    public List<String> entrypoint() {
        return strings(containerConfig().get("Entrypoint"));
    }

    public List<String> cmd() {
        return strings(containerConfig().get("Cmd"));
    }

    public String user() {
        return containerConfig().path("User").asText(null);
    }

    public String workingDir() {
        return containerConfig().path("WorkingDir").asText(null);
    }

    public Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : strings(containerConfig().get("Env"))) {
            int eq = kv.indexOf('=');
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return env;
    }

    public Map<String, String> labels() {
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode node = containerConfig().get("Labels");
        if (node != null) {
            node.properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        }
        return labels;
    }

    public List<String> exposedPorts() {
        List<String> ports = new ArrayList<>();
        JsonNode node = containerConfig().get("ExposedPorts");
        if (node != null) {
            node.fieldNames().forEachRemaining(ports::add);
        }
        return ports;
    }

    public Map<String, Entry> files() {
        return files;
    }

    public Entry file(String path) {
        return files.get(path);
    }

    /** The content of a small file (see {@link #SMALL_FILE}) as UTF-8, or null when absent or large. */
    public String text(String path) {
        byte[] bytes = smallFiles.get(path);
        return bytes == null ? null : new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Paths directly or indirectly under {@code dir} (no trailing slash). */
    public List<String> under(String dir) {
        return files.keySet().stream().filter(p -> p.startsWith(dir + "/")).sorted().toList();
    }

    public int layerCount() {
        return layerCount;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }
}
