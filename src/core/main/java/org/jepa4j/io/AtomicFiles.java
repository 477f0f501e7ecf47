package org.jepa4j.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file under a temporary name in its own folder and renames it into place, so a reader
 * sees the old file or the complete new one, never a partial one, and a failed write leaves
 * nothing behind. The one way jepa4j writes its outputs (configs, reports, charts, arrays,
 * imported runs, training logs).
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Receives the stream of the temporary file. */
    @FunctionalInterface
    public interface Writer {
        /** Writes the whole content to {@code out}. */
        void write(OutputStream out) throws IOException;
    }

    /** Receives the temporary file itself, for writers that want a path (e.g. ImageIO). */
    @FunctionalInterface
    public interface PathWriter {
        /** Writes the whole content to {@code tmp}, an existing empty file beside the target. */
        void write(Path tmp) throws IOException;
    }

    /** Writes {@code file} through {@code writer}, atomically replacing any existing file. */
    public static void write(Path file, Writer writer) throws IOException {
        writePath(file, tmp -> {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
                writer.write(out);
            }
        });
    }

    /** Writes {@code file} through a writer that fills a temporary path, then renames it into place. */
    public static void writePath(Path file, PathWriter writer) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            writer.write(tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code text} as UTF-8 to {@code file}, atomically. */
    public static void writeString(Path file, String text) throws IOException {
        write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Copies {@code from} to {@code to} through a temporary file beside {@code to}, atomically. */
    public static void copy(Path from, Path to) throws IOException {
        writePath(to, tmp -> Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING));
    }
}
