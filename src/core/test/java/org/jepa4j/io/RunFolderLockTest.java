package org.jepa4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class RunFolderLockTest {

    /** Holds the lock of the folder {@code args[0]}, says so on stdout, then waits to be killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            RunFolderLock lock = RunFolderLock.acquire(Path.of(args[0]));
            System.out.println("locked " + lock.file());
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(5));
        }
    }

    @Test
    void anotherProcessHoldingTheFolderIsNamedAndItsLockIsStaleAfterKill9(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                run.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertNotNull(line, "the holder process ended before locking");
            assertTrue(line.startsWith("locked"), line);

            RunFolderLock.LockedException e = assertThrows(RunFolderLock.LockedException.class,
                    () -> RunFolderLock.acquire(run));
            assertTrue(e.getMessage().contains("process " + holder.pid()) && e.getMessage().contains("on host")
                    && e.getMessage().contains("started") && e.getMessage().contains(run.toString()), e.getMessage());

            holder.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
            assertTrue(holder.waitFor(1, TimeUnit.MINUTES));
            try (RunFolderLock lock = RunFolderLock.acquire(run)) {
                assertNotNull(lock.stalePrevious(), "the dead holder's lock is recognised as stale");
                assertTrue(lock.stalePrevious().contains("process " + holder.pid()), lock.stalePrevious());
                assertTrue(Files.readString(lock.file()).contains("process " + ProcessHandle.current().pid()));
            }
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void aClosedLockLeavesNoHolderAndAnotherRunInThisJvmIsRefused(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("a/b");
        try (RunFolderLock lock = RunFolderLock.acquire(run)) {
            RunFolderLock.LockedException e = assertThrows(RunFolderLock.LockedException.class,
                    () -> RunFolderLock.acquire(run));
            assertTrue(e.getMessage().contains("process " + ProcessHandle.current().pid()), e.getMessage());
            assertNull(lock.stalePrevious());
        }
        try (RunFolderLock again = RunFolderLock.acquire(run)) {
            assertNull(again.stalePrevious(), "a cleanly closed lock is not stale");
        }
    }

    @Test
    void staleTemporariesAreRemovedButNothingElse(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        Path ckpts = run.resolve("checkpoints");
        Files.createDirectories(ckpts);
        Path tmp1 = Files.writeString(ckpts.resolve(".latest.safetensors.99.tmp"), "x");
        Path tmp2 = Files.writeString(run.resolve(".config.yaml.5.tmp"), "x");
        Path keep1 = Files.writeString(ckpts.resolve("latest.safetensors"), "x");
        Path keep2 = Files.writeString(run.resolve("notes.tmp"), "x");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (RunFolderLock lock = RunFolderLock.acquire(run)) {
            List<Path> removed = lock.removeStaleTemporaries(List.of(run, ckpts),
                    new PrintStream(log, true, StandardCharsets.UTF_8));
            assertEquals(2, removed.size());
        }
        assertFalse(Files.exists(tmp1));
        assertFalse(Files.exists(tmp2));
        assertTrue(Files.exists(keep1) && Files.exists(keep2));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("removed 2 temporary files"));
    }

    @Test
    void aRegularFileInTheWayIsNamedWithWhatWasBeingDone(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        IOException e = assertThrows(IOException.class, () -> RunFolderLock.acquire(file.resolve("run")));
        assertTrue(e.getMessage().startsWith("cannot create the run folder " + file.resolve("run")), e.getMessage());
        IOException w = assertThrows(IOException.class,
                () -> AtomicFiles.writeString(file.resolve("sub/out.txt"), "y"));
        assertTrue(w.getMessage().startsWith("cannot write " + file.resolve("sub/out.txt") + ": "), w.getMessage());
        assertTrue(w.getMessage().length() > ("cannot write " + file.resolve("sub/out.txt") + ": ").length());
    }

    @Test
    void linkGivesASecondNameThatLaterRenamesLeaveAlone(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("epoch-0001.bin");
        Path latest = dir.resolve("latest.bin");
        AtomicFiles.writeString(a, "one");
        AtomicFiles.link(a, latest);
        assertEquals("one", Files.readString(latest));
        AtomicFiles.writeString(latest, "two");
        assertEquals("one", Files.readString(a));
        assertEquals("two", Files.readString(latest));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary left behind");
        }
    }
}
