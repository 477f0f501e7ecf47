package org.jepa4j.io;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Exclusive ownership of a run folder while a run writes to it: an operating-system lock on
 * {@code <folder>/run.lock}, whose text names the holder (process id, host, start time). The
 * operating system releases the lock when its process ends, however it ends (kill -9 included), so
 * a lock file left by a dead process is recognised as stale and taken over; a live holder makes
 * {@link #acquire} fail with a {@link LockedException} naming it. Closing releases the lock and
 * empties the file (which stays, so every process locks the same file).
 */
public final class RunFolderLock implements AutoCloseable {
    /** File name of the lock inside the run folder. */
    public static final String FILE = "run.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final String stalePrevious;

    private RunFolderLock(Path file, FileChannel channel, FileLock lock, String stalePrevious) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.stalePrevious = stalePrevious;
    }

    /** Another live run holds the folder. */
    public static final class LockedException extends IOException {
        /** @param message names the folder and the holder */
        public LockedException(String message) {
            super(message);
        }
    }

    /**
     * Locks {@code folder} (created when missing) for this process.
     *
     * @throws LockedException naming the holder when another run (process, or a run in this JVM)
     *                         holds it
     * @throws IOException     naming the folder when it cannot be created or the lock file written
     */
    public static RunFolderLock acquire(Path folder) throws IOException {
        Path file = folder.resolve(FILE);
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new IOException("cannot create the run folder " + folder + ": " + AtomicFiles.describe(e), e);
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("cannot open the run folder's lock " + file + ": " + AtomicFiles.describe(e), e);
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by another run in this JVM
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot lock the run folder " + folder + " (" + file + "): " + AtomicFiles.describe(e), e);
        }
        String previous = read(ch);
        if (lock == null) {
            ch.close();
            throw new LockedException("run folder " + folder + " is in use by another run ("
                    + (previous.isBlank() ? "holder unknown" : previous) + "): wait for it to end, or choose another"
                    + " --out; " + file + " is released when that process ends");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(holder().getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(true);
        return new RunFolderLock(file, ch, lock, previous.isBlank() ? null : previous);
    }

    /** The holder text of a lock that was left by a process that ended without closing it, or null. */
    public String stalePrevious() {
        return stalePrevious;
    }

    /** The lock file. */
    public Path file() {
        return file;
    }

    /**
     * Deletes the temporary files ({@code .NAME.RANDOM.tmp}, as {@link AtomicFiles} and the
     * safetensors writer name them) that an interrupted run left directly in {@code dirs}. Only
     * call while holding the lock of the run folder they belong to: then no live writer owns them.
     *
     * @return the files deleted
     */
    public List<Path> removeStaleTemporaries(List<Path> dirs, PrintStream log) throws IOException {
        List<Path> removed = new ArrayList<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.tmp")) {
                for (Path p : s) {
                    if (Files.isRegularFile(p) && Files.deleteIfExists(p)) {
                        removed.add(p);
                    }
                }
            }
        }
        if (!removed.isEmpty()) {
            log.println("removed " + removed.size() + " temporary file" + (removed.size() == 1 ? "" : "s")
                    + " an interrupted run left in " + file.getParent() + " (" + removed.get(0).getFileName()
                    + (removed.size() > 1 ? ", ..." : "") + ")");
        }
        return removed;
    }

    /** {@code process 1234 on host h, started 2026-12-03T09:00:00Z}. */
    static String holder() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        Instant started = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
        return "process " + ProcessHandle.current().pid() + " on host " + host + ", started " + started;
    }

    private static String read(FileChannel ch) throws IOException {
        long size = Math.min(ch.size(), 4096);
        ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // fill
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
    }

    /** Releases the lock and empties the file: a later run finds no holder. */
    @Override
    public void close() throws IOException {
        try {
            if (channel.isOpen()) {
                channel.truncate(0);
            }
        } finally {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }
}
