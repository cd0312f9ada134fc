package dev.reservoir.worker.handler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The handlers this worker can run, by name: from the worker's classpath and from every jar in the
 * handlers directory. Built once at start-up and read-only afterwards (safe to share across threads).
 * Two handlers with one name, or a jar that cannot be loaded, stop the worker at start with a message
 * naming the jar and class: better than running tasks with the wrong code.
 */
public final class HandlerRegistry {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Map<String, TaskHandler> handlers;

    private HandlerRegistry(Map<String, TaskHandler> handlers) {
        this.handlers = Collections.unmodifiableMap(handlers);
    }

    public static HandlerRegistry load(Path handlersDir) {
        Map<String, TaskHandler> found = new TreeMap<>();
        Map<String, String> origin = new TreeMap<>();
        addAll(found, origin, ServiceLoader.load(TaskHandler.class, HandlerRegistry.class.getClassLoader()), "classpath", null);
        if (handlersDir != null && Files.isDirectory(handlersDir)) {
            for (Path jar : jars(handlersDir)) {
                URLClassLoader loader = new URLClassLoader(new URL[] {url(jar)}, HandlerRegistry.class.getClassLoader());
                addAll(found, origin, ServiceLoader.load(TaskHandler.class, loader), jar.toString(), loader);
            }
        }
        return new HandlerRegistry(found);
    }

    public static HandlerRegistry of(List<TaskHandler> handlers) {
        Map<String, TaskHandler> found = new TreeMap<>();
        Map<String, String> origin = new TreeMap<>();
        addAll(found, origin, handlers, "given", null);
        return new HandlerRegistry(found);
    }

    /** @param onlyFrom when set, only handlers defined by this loader count (it also sees its parent's). */
    private static void addAll(Map<String, TaskHandler> found, Map<String, String> origin, Iterable<TaskHandler> source, String where,
                               ClassLoader onlyFrom) {
        try {
            for (TaskHandler handler : source) {
                if (onlyFrom != null && handler.getClass().getClassLoader() != onlyFrom) {
                    continue; // a handlers-dir loader also sees the classpath's handlers: count each once
                }
                String name = handler.name();
                if (name == null || !NAME.matcher(name).matches()) {
                    throw new IllegalStateException("handler " + handler.getClass().getName() + " (" + where + ") has an invalid name '"
                            + name + "': use letters, digits, '.', '_' or '-'");
                }
                if (found.containsKey(name)) {
                    throw new IllegalStateException("two handlers are named '" + name + "': " + found.get(name).getClass().getName() + " ("
                            + origin.get(name) + ") and " + handler.getClass().getName() + " (" + where + "); rename one");
                }
                found.put(name, handler);
                origin.put(name, where);
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("cannot load handlers from " + where + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> jars(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return new ArrayList<>(files.filter(p -> p.toString().endsWith(".jar")).sorted().toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list handlers directory " + dir, e);
        }
    }

    private static URL url(Path jar) {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    public TaskHandler get(String name) {
        return handlers.get(name);
    }

    public java.util.Set<String> names() {
        return handlers.keySet();
    }
}
