package dev.reservoir.worker.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Handlers come from the classpath and from real jars dropped into the handlers directory. */
class HandlerRegistryTest {
    @TempDir
    Path dir;

    @Test
    void builtInsAreOnTheClasspath() {
        HandlerRegistry registry = HandlerRegistry.load(null);
        assertThat(registry.names()).contains("echo", "sleep", "sha256", "fail");
    }

    @Test
    void aJarInTheHandlersDirectoryAddsItsHandlers() throws Exception {
        Path jar = handlerJar("Upper", "upper", "return new String(c.payloadBytes()).toUpperCase().getBytes();");
        Files.move(jar, dir.resolve("upper.jar"));
        HandlerRegistry registry = HandlerRegistry.load(dir);
        assertThat(registry.names()).contains("upper", "echo");
        TaskHandler upper = registry.get("upper");
        byte[] out = upper.handle(new FixedContext("abc".getBytes(StandardCharsets.UTF_8)));
        assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo("ABC");
    }

    @Test
    void twoHandlersWithOneNameStopTheWorkerWithAClearMessage() throws Exception {
        Path jar = handlerJar("Echo2", "echo", "return new byte[0];");
        Files.move(jar, dir.resolve("clash.jar"));
        assertThatThrownBy(() -> HandlerRegistry.load(dir)).hasMessageContaining("two handlers are named 'echo'")
                .hasMessageContaining("clash.jar").hasMessageContaining("rename one");
    }

    /** Compiles a handler class with the JDK compiler and packs it with its service file. */
    private Path handlerJar(String className, String handlerName, String body) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src-" + className + "/ext"));
        Files.writeString(src.resolve(className + ".java"), """
                package ext;
                import dev.reservoir.worker.handler.*;
                public final class %s implements TaskHandler {
                    public String name() { return "%s"; }
                    public byte[] handle(TaskContext c) { %s }
                }
                """.formatted(className, handlerName, body));
        Path classes = Files.createDirectories(dir.resolve("classes-" + className));
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        int rc = compiler.run(null, null, null, "-cp", System.getProperty("java.class.path"), "-d", classes.toString(),
                src.resolve(className + ".java").toString());
        assertThat(rc).as("compiling the test handler").isZero();
        Path jar = dir.resolve(className + ".jar.tmp");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("ext/" + className + ".class"));
            out.write(Files.readAllBytes(classes.resolve("ext/" + className + ".class")));
            out.putNextEntry(new JarEntry("META-INF/services/" + TaskHandler.class.getName()));
            out.write(("ext." + className + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }

    private record FixedContext(byte[] bytes) implements TaskContext {
        public String taskId() {
            return "t";
        }

        public int attempt() {
            return 1;
        }

        public java.lang.foreign.MemorySegment payload() {
            return java.lang.foreign.MemorySegment.ofArray(bytes);
        }

        public byte[] payloadBytes() {
            return bytes;
        }

        public dev.reservoir.worker.memory.Block scratch() {
            throw new UnsupportedOperationException();
        }

        public java.time.Duration remaining() {
            return java.time.Duration.ofSeconds(1);
        }

        public String workerId() {
            return "w";
        }
    }

}
