package dev.reservoir.redis;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;

/**
 * A real redis-server child process on loopback, for tests and for local mode: {@code redis-server}
 * from PATH when there is one, else the Linux/macOS binary shipped in {@code org.signal:embedded-redis}
 * (extracted once to a cache folder). Can be killed with SIGKILL and restarted on the same port and
 * data folder, which is how the fault tests restart Redis.
 *
 * <p>Lifecycle: NEW → {@link #start()} → RUNNING → {@link #stop()} / {@link #kill()} → STOPPED →
 * {@link #start()} again (same port, same data). Guarded by {@code this}.
 *
 * <p>With a password the server requires AUTH; the password reaches it on its standard input
 * ({@code redis-server -} reads a config file from there), never on its command line, which any
 * local user can read in a process listing.
 */
public final class RedisServerProcess implements AutoCloseable {
    private final int port;
    private final Path dataDir;
    private final boolean appendOnly;
    /** Null: no AUTH required. */
    private final String password;
    private Process process;

    /**
     * @param appendOnly persist every write (appendfsync always) so a restart keeps the queue, as a
     *                   production Redis for Reservoir should be configured
     */
    public RedisServerProcess(int port, Path dataDir, boolean appendOnly) {
        this(port, dataDir, appendOnly, null);
    }

    /** @param password required by the server ({@code requirepass}), or null for none */
    public RedisServerProcess(int port, Path dataDir, boolean appendOnly, String password) {
        if (password != null && (password.isEmpty() || password.chars().anyMatch(c -> c <= ' ' || c == '"' || c == '\\' || c > '~'))) {
            throw new IllegalArgumentException("the password must be printable ASCII without spaces, quotes or backslashes");
        }
        this.port = port;
        this.dataDir = dataDir;
        this.appendOnly = appendOnly;
        this.password = password;
    }

    /** A server on a free port with a fresh temporary data folder. */
    public static RedisServerProcess onFreePort(boolean appendOnly) {
        return onFreePort(appendOnly, null);
    }

    /** A server on a free port with a fresh owner-only temporary data folder, requiring {@code password} (null: none). */
    public static RedisServerProcess onFreePort(boolean appendOnly, String password) {
        try {
            Path dataDir = Files.createTempDirectory("reservoir-redis", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return new RedisServerProcess(freePort(), dataDir, appendOnly, password);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A port nothing listens on, chosen below the kernel's ephemeral range when it can be: a port the kernel
     * hands out for {@code bind(0)} is also the source port of outgoing connections, so between this call and
     * the server's bind any connection could take it, and a client reconnecting in a loop to a server that is
     * down can even connect to itself on it (TCP simultaneous open), which then keeps the server from coming back.
     */
    public static int freePort() {
        int below = ephemeralRangeStart();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; below > 20_000 && i < 50; i++) {
            int port = random.nextInt(20_000, below);
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first port of the kernel's ephemeral range (Linux), else the IANA one. */
    static int ephemeralRangeStart() {
        try {
            // readAllLines, not readString: a /proc file reports size 0, and readString then returns only its first byte.
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).getFirst().trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 49_152;
        }
    }

    public int port() {
        return port;
    }

    /** How to reach the server, with the password when it requires one ({@code redis://:PASSWORD@127.0.0.1:PORT}). */
    public String url() {
        return password == null ? address() : "redis://:" + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@127.0.0.1:" + port;
    }

    /** The server's URL without any password, for messages and for clients given the password apart. */
    public String address() {
        return "redis://127.0.0.1:" + port;
    }

    /** The password the server requires, or null. */
    public String password() {
        return password;
    }

    /**
     * The redis-server command line: everything but the password, which {@link #start()} writes to the
     * server's stdin. (A check of the running server's /proc/PID/cmdline cannot show this: Redis replaces
     * its process title once started, but the original arguments are visible until then.)
     */
    List<String> command() {
        // "-": the first argument names the config file, and stdin is read as one; it carries the password.
        // Loopback only, and protected mode on, so that even a change of bind never opens a password-less server.
        List<String> command = new ArrayList<>(List.of(binary().toString(), "-", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", dataDir.toString(), "--save", "", "--protected-mode", "yes", "--daemonize", "no"));
        if (appendOnly) {
            command.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
        } else {
            command.addAll(List.of("--appendonly", "no"));
        }
        return command;
    }

    public synchronized RedisServerProcess start() {
        if (process != null && process.isAlive()) {
            return this;
        }
        List<String> command = command();
        // Redis stays in its owner's process group, so killing the group (bin/reservoir does on Ctrl-C,
        // after the workers drained) leaves no Redis behind even when the owner was killed.
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dataDir.resolve("redis.log").toFile()).start();
            try (OutputStream config = process.getOutputStream()) {
                if (password != null) {
                    config.write(("requirepass \"" + password + "\"\n").getBytes(StandardCharsets.US_ASCII));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command.get(0), e);
        }
        awaitPing(Duration.ofSeconds(20));
        return this;
    }

    private void awaitPing(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited at start: " + log());
            }
            try (Jedis jedis = RedisEndpoint.parse(url(), null).connect("reservoir-ping", Duration.ofMillis(500))) {
                if ("PONG".equals(jedis.ping())) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // still starting (or loading its append-only file)
            }
            sleep(50);
        }
        throw new IllegalStateException("redis-server did not answer PING on port " + port + " within " + timeout + ": " + log());
    }

    private String log() {
        try {
            return Files.readString(dataDir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** SIGTERM and wait: Redis exits cleanly. */
    public synchronized void stop() {
        if (process != null) {
            process.destroy();
            waitFor();
        }
    }

    /** SIGKILL: a crash. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor();
        }
    }

    private void waitFor() {
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Waits up to {@code timeout} for the process to exit (a dropped connection arrives before the exit is
     * seen). Not synchronized: {@link #stop()} may run meanwhile.
     *
     * @return true when the process has exited (or never started)
     */
    public boolean awaitExit(Duration timeout) {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p == null) {
            return true;
        }
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** redis-server on PATH, else the embedded binary extracted to a cache folder. */
    public static Path binary() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir, "redis-server");
                if (Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return extractEmbedded();
    }

    private static synchronized Path extractEmbedded() {
        String os = System.getProperty("os.name").toLowerCase().contains("mac") ? "darwin" : "linux";
        String arch = System.getProperty("os.arch").contains("aarch64") || System.getProperty("os.arch").contains("arm64") ? "arm64" : "amd64";
        String resource = "/redis-server-7.0.15-" + os + "-" + arch;
        Path target = Path.of(System.getProperty("java.io.tmpdir"), "reservoir-redis-7.0.15-" + os + "-" + arch, "redis-server");
        if (Files.isExecutable(target)) {
            return target;
        }
        try (InputStream in = RedisServerProcess.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no redis-server on PATH and no embedded binary " + resource
                        + " on the classpath: install Redis (apt-get install redis-server) or add org.signal:embedded-redis");
            }
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), "redis-server", ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("could not extract the embedded redis-server", e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
