package org.jepa4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * The one set of rules every writing command applies to its output before it writes, and the
 * temporaries it writes through:
 * <ul>
 *   <li>an output is never, never contains and never lies inside an input of the command (its data
 *       folder, its model or checkpoint), compared after resolving symbolic links and {@code ..};</li>
 *   <li>an existing output is replaced only when it is a complete earlier output of the same command
 *       (the caller says how to recognise one), never a foreign file or folder;</li>
 *   <li>temporaries are named {@code .NAME.jepa4j-PID@HOST-RANDOM.tmp} beside their target, removed when
 *       the process is stopped (SIGTERM, Ctrl-C) before they are renamed into place, and a later
 *       write of the same target removes those a killed process (SIGKILL) left.</li>
 * </ul>
 */
public final class OutputGuard {
    /** Marks a temporary of this kind: {@code .NAME} + this + {@code PID@HOST-RANDOM.tmp}. */
    static final String TEMPORARY_TAG = ".jepa4j-";

    private OutputGuard() {
    }

    /**
     * One thing a command reads.
     *
     * @param role for messages: {@code --data}, {@code the model}, {@code --checkpoint}
     * @param path the file or folder
     */
    public record Input(String role, Path path) {
    }

    /**
     * {@code path} with every symbolic link and {@code ..} resolved as the file system would, also
     * when its last parts do not exist yet (those are appended as they are).
     */
    public static Path realPath(Path path) {
        Path abs = path.toAbsolutePath();
        Path current = abs.getRoot();
        int n = abs.getNameCount();
        for (int i = 0; i < n; i++) {
            String part = abs.getName(i).toString();
            if (part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                current = current.getParent() == null ? current : current.getParent();
                continue;
            }
            Path next = current.resolve(part);
            if (Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    next = next.toRealPath();
                } catch (IOException e) {
                    // a dangling link or a denied folder: keep the name as written
                }
                current = next;
            } else {
                // the rest does not exist: nothing more to resolve
                Path rest = abs.subpath(i, n);
                return current.resolve(rest).normalize();
            }
        }
        return current;
    }

    /**
     * Refuses an output that is, contains or lies inside one of {@code inputs}.
     *
     * @param option the output's option, for messages ({@code --out})
     * @throws IllegalArgumentException naming the output, the input and the relation
     */
    public static void requireApartFromInputs(String option, Path out, List<Input> inputs) {
        Path o = realPath(out);
        for (Input in : inputs) {
            if (in == null || in.path() == null) {
                continue;
            }
            Path i = realPath(in.path());
            String relation = o.equals(i) ? "is" : o.startsWith(i) ? "lies inside" : i.startsWith(o) ? "contains" : null;
            if (relation != null) {
                throw new IllegalArgumentException(option + " " + out + " " + relation + " the input " + in.role() + " "
                        + in.path() + (o.equals(out.toAbsolutePath().normalize()) ? "" : " (resolved: " + o + ")")
                        + ": writing there could destroy what this command reads; choose an " + option
                        + " apart from its inputs");
            }
        }
    }

    /**
     * Refuses to replace an existing {@code out} that is not a complete earlier output of this
     * command. A missing {@code out} is always fine.
     *
     * @param what what the command writes, for the message ({@code a .npy file written by embed})
     * @param own  whether an existing path is such an output
     * @throws IllegalArgumentException naming the path and what was expected
     */
    public static void requireReplaceable(String option, Path out, String what, Predicate<Path> own) {
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isSymbolicLink(out) || !own.test(out)) {
            throw new IllegalArgumentException(option + " " + out + " exists and is not " + what
                    + ": it is not replaced; remove it yourself or choose another " + option);
        }
    }

    /** Whether {@code file} is a regular file whose first bytes are {@code magic}. */
    public static boolean startsWith(Path file, byte[] magic) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(magic.length);
            return java.util.Arrays.equals(head, magic);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code file} is a regular file whose first {@code window} bytes contain {@code text} (ASCII). */
    public static boolean headContains(Path file, String text, int window) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            String head = new String(in.readNBytes(window), java.nio.charset.StandardCharsets.ISO_8859_1);
            return head.contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Creates an empty temporary file beside {@code target} ({@code .NAME.jepa4j-PID@HOST-RANDOM.tmp}),
     * removed if the process is stopped before {@link #release}; first removes the temporaries of
     * the same target that dead processes left.
     */
    public static Path createTemporary(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        removeStaleTemporaries(target);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + writerTag() + "-", ".tmp");
        removeOnStop(tmp);
        return tmp;
    }

    /** A fresh temporary name beside {@code target} (nothing created), removed if the process is stopped. */
    public static Path temporaryName(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        removeStaleTemporaries(target);
        Path tmp = dir.resolve("." + target.getFileName() + writerTag() + "-"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        removeOnStop(tmp);
        return tmp;
    }

    /** Deletes {@code tmp} when it is still there (it was not renamed into place) and forgets it. */
    public static void release(Path tmp) throws IOException {
        try {
            Files.deleteIfExists(tmp);
        } finally {
            Stop.PENDING.remove(tmp.toAbsolutePath());
        }
    }

    /**
     * Removes the temporaries of {@code target} (files or folders named {@code .NAME.jepa4j-PID@HOST-*})
     * whose process is no longer alive on this machine.
     *
     * @return how many were removed
     */
    public static int removeStaleTemporaries(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return 0;
        }
        String prefix = "." + target.getFileName() + TEMPORARY_TAG;
        int removed = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : s) {
                if (!ofDeadLocalWriter(p.getFileName().toString().substring(prefix.length()))) {
                    continue; // a live writer's, another machine's, or not of this kind
                }
                deleteRecursively(p);
                removed++;
            }
        } catch (IOException e) {
            // listing failed: the write itself will report a real problem with the folder
        }
        return removed;
    }

    /**
     * This process's mark in its temporaries' names: {@code .jepa4j-PID@HOST}; the host keeps a
     * writer on another machine sharing the folder from being taken for a dead local one.
     */
    public static String writerTag() {
        return TEMPORARY_TAG + ProcessHandle.current().pid() + "@" + Host.NAME;
    }

    /**
     * Whether {@code rest}, a temporary's name after {@code .NAME.jepa4j-} ({@code PID@HOST-RANDOM...}),
     * names a process of this machine that is no longer alive.
     */
    public static boolean ofDeadLocalWriter(String rest) {
        int at = rest.indexOf('@');
        int dash = rest.lastIndexOf('-');
        if (at <= 0 || dash <= at) {
            return false;
        }
        long pid;
        try {
            pid = Long.parseLong(rest.substring(0, at));
        } catch (NumberFormatException e) {
            return false;
        }
        return rest.substring(at + 1, dash).equals(Host.NAME)
                && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** This machine's name as it appears in temporaries (no '-' or '/': they would confuse the parse). */
    private static final class Host {
        static final String NAME = read();

        private static String read() {
            String h = null;
            try {
                h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            } catch (IOException | RuntimeException e) {
                h = System.getenv("HOSTNAME");
            }
            if (h == null || h.isBlank()) {
                h = "localhost";
            }
            return h.replaceAll("[^A-Za-z0-9.]", "_");
        }
    }

    /** Registers {@code path} (a file or folder) to be deleted if the process is stopped before {@link #release}. */
    public static void removeOnStop(Path path) {
        Stop.PENDING.add(path.toAbsolutePath());
    }

    /**
     * Declares that the writes under {@code folder} finish on their own when the process is stopped
     * (training writes its last checkpoint before it exits): their temporaries are not removed by
     * the stop, only by a later write of the same target if the process died first.
     */
    public static void finishWritesOnStop(Path folder) {
        Stop.FINISHING.add(realPath(folder));
    }

    /** Forgets {@code path} registered with {@link #removeOnStop}: it was renamed into place or is removed otherwise. */
    public static void forget(Path path) {
        Stop.PENDING.remove(path.toAbsolutePath());
    }

    /** Deletes a file, or a folder and everything below it (links are removed, never followed). */
    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(p);
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.deleteIfExists(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * The temporaries of this process not yet renamed or released. Process-wide by nature (like
     * {@link java.io.File#deleteOnExit}): one shutdown hook, run on SIGTERM and Ctrl-C, deletes them.
     */
    private static final class Stop {
        static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();
        static final Set<Path> FINISHING = ConcurrentHashMap.newKeySet();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (Path p : PENDING) {
                    if (FINISHING.stream().anyMatch(f -> realPath(p).startsWith(f))) {
                        continue;
                    }
                    try {
                        deleteRecursively(p);
                    } catch (IOException | RuntimeException e) {
                        // the process is ending: a later write of the same target removes what is left
                    }
                }
            }, "jepa4j-remove-temporaries"));
        }
    }
}
