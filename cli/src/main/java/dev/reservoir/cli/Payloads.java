package dev.reservoir.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/** Payloads one per line (UTF-8) from a file or stdin, read lazily so a huge file streams. */
final class Payloads implements Iterable<byte[]> {
    private final BufferedReader reader;

    private Payloads(BufferedReader reader) {
        this.reader = reader;
    }

    static Payloads from(Path file) {
        if (file == null || file.toString().equals("-")) {
            return new Payloads(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16));
        }
        try {
            return new Payloads(Files.newBufferedReader(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.USAGE, "no such file: " + file + " (give one payload per line, or '-' for stdin)");
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + file + ": " + e.getMessage());
        }
    }

    @Override
    public Iterator<byte[]> iterator() {
        return new Iterator<>() {
            private String next = read();

            private String read() {
                try {
                    return reader.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            public boolean hasNext() {
                return next != null;
            }

            public byte[] next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                byte[] b = next.getBytes(StandardCharsets.UTF_8);
                next = read();
                return b;
            }
        };
    }
}
