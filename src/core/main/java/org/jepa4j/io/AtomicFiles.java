package org.jepa4j.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file under a temporary name in its own folder and renames it into place, so a reader
 * sees the old file or the complete new one, never a partial one, and a failed write leaves
 * nothing behind. The one way jepa4j writes its outputs (configs, reports, charts, arrays,
 * checkpoints, imported runs, training logs), with one durability policy: write the temporary
 * file in the target's folder, fsync it, rename it over the target, fsync the folder. After
 * {@link #write} returns, a power cut leaves the new file, never an empty or partial one under the
 * target's name (the folder's fsync makes the rename itself durable).
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

    /**
     * Writes {@code file} through a writer that fills a temporary path beside it, then, as every
     * write here: fsync of the temporary file, rename over {@code file}, fsync of the folder.
     */
    public static void writePath(Path file, PathWriter writer) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp;
        try {
            Files.createDirectories(dir);
            tmp = OutputGuard.createTemporary(file);
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + describe(e), e);
        }
        try {
            writer.write(tmp);
            sync(tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            syncFolder(dir);
        } catch (IOException e) {
            throw named(file, e);
        } finally {
            OutputGuard.release(tmp);
        }
    }

    /** Forces {@code file}'s content and metadata to the device (fsync). */
    static void sync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /**
     * Forces {@code dir}'s entries to the device, so a rename into it survives a power cut. A file
     * system that cannot open or fsync a folder (some network and Windows file systems) has no
     * such guarantee to give: there the rename alone stands.
     */
    static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException unsupported) {
            // no folder fsync on this file system; nothing more can be done
        }
    }

    /**
     * {@code e} as is when its message already names the file, else wrapped with a message that
     * does ("cannot write F: no space left on the device"): file-system errors carry a bare path.
     */
    public static IOException named(Path file, IOException e) {
        String m = e.getMessage();
        if (!(e instanceof java.nio.file.FileSystemException) && m != null
                && m.contains(file.getFileName().toString())) {
            return e;
        }
        return new IOException("cannot write " + file + ": " + describe(e), e);
    }

    /**
     * Makes {@code target} a second name of the complete file {@code existing} in one atomic
     * rename: a hard link under a temporary name beside {@code target}, renamed over it (a copy
     * where the file system has no hard links). A reader of {@code target} sees its old content or
     * {@code existing}'s, never a partial file; later renames over either name leave the other alone.
     */
    public static void link(Path existing, Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = OutputGuard.temporaryName(target);
        try {
            try {
                Files.createLink(tmp, existing);
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException noLinks) {
                Files.copy(existing, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            syncFolder(dir);
        } catch (IOException e) {
            throw new IOException("cannot make " + target + " from " + existing + ": " + describe(e), e);
        } finally {
            OutputGuard.release(tmp);
        }
    }

    /**
     * The cause of a failed file operation in words: what the exception class means (no such file,
     * permission denied, not a directory, no space left, ...) plus its message, for errors that
     * say what was being done, the path and why.
     */
    public static String describe(IOException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof java.nio.file.FileSystemException fse) {
            String what;
            String inTheWay = fse.getFile() == null ? null : regularFileInTheWay(Path.of(fse.getFile()));
            if (inTheWay != null && (e instanceof java.nio.file.NotDirectoryException
                    || e instanceof java.nio.file.FileAlreadyExistsException
                    || "Not a directory".equals(fse.getReason()))) {
                return "a regular file is in the way of a folder (" + inTheWay + ")";
            }
            if (e instanceof java.nio.file.NoSuchFileException) {
                what = "no such file or folder";
            } else if (e instanceof java.nio.file.AccessDeniedException) {
                what = "permission denied";
            } else if (e instanceof java.nio.file.NotDirectoryException) {
                what = "not a folder";
            } else if (e instanceof java.nio.file.FileAlreadyExistsException) {
                what = "already exists";
            } else if (fse.getReason() != null) {
                what = fse.getReason();
            } else {
                what = e.getClass().getSimpleName();
            }
            return what + (fse.getFile() == null ? "" : " (" + fse.getFile()
                    + (fse.getOtherFile() == null ? "" : " -> " + fse.getOtherFile()) + ")");
        }
        if (e instanceof java.nio.charset.CharacterCodingException) {
            // Files.readString and readAllLines say only "Input length = 1"
            return "not UTF-8 text (" + e.getClass().getSimpleName() + ": " + m + ")";
        }
        if (m.toLowerCase(java.util.Locale.ROOT).contains("no space left")) {
            return "no space left on the device (" + m + ")";
        }
        return m.isEmpty() ? e.getClass().getSimpleName() : m;
    }

    /**
     * Creates {@code dir} and its missing parents.
     *
     * @param what the folder's role for the message ({@code run}, {@code report}, ...)
     * @throws IOException "cannot create the WHAT folder DIR: CAUSE"
     */
    public static Path createFolders(Path dir, String what) throws IOException {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create the " + what + " folder " + dir + ": " + describe(e), e);
        }
    }

    /**
     * The regular file that stands where a folder of {@code path} should be ({@code path} itself
     * or its nearest existing ancestor, when that is a regular file), or null when there is none.
     */
    public static String regularFileInTheWay(Path path) {
        for (Path p = path.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                return Files.isRegularFile(p) ? p.toString() : null;
            }
        }
        return null;
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
