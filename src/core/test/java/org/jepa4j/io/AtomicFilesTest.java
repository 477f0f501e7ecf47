package org.jepa4j.io;

import org.jepa4j.testing.FullDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A failed write says what was written, where and why, and leaves neither the target nor a temporary behind. */
class AtomicFilesTest {

    @Test
    void aFullDiskIsNamedWithThePathAndTheCause(@TempDir Path dir) throws IOException {
        FullDisk.require();
        Path file = dir.resolve("report.md");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
            out.write("partial".getBytes());
            FullDisk.write();
        }));
        assertTrue(e.getMessage().startsWith("cannot write " + file + ": no space left on the device"), e.getMessage());
        FullDisk.assertNothingLeft(dir);
    }

    @Test
    void aDeniedWriteSaysPermissionDeniedAndWhichPath(@TempDir Path dir) throws IOException {
        // root may write anywhere, so the denial is the exception a read-only folder gives other users
        Path file = dir.resolve("features.npy");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writePath(file, tmp -> {
            throw new AccessDeniedException(tmp.getParent().toString());
        }));
        assertEquals("cannot write " + file + ": permission denied (" + dir + ")", e.getMessage());
        FullDisk.assertNothingLeft(dir);
    }

    @Test
    void aRegularFileInTheWayIsFoundAtAnyDepth(@TempDir Path dir) throws IOException {
        Path plain = Files.writeString(dir.resolve("plain"), "x");
        assertEquals(plain.toString(), AtomicFiles.regularFileInTheWay(plain.resolve("a/b/c.txt")));
        assertEquals(plain.toString(), AtomicFiles.regularFileInTheWay(plain));
        assertEquals(null, AtomicFiles.regularFileInTheWay(dir.resolve("free/a.txt")));
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(plain.resolve("a/b/c.txt"), "y"));
        assertEquals("cannot write " + plain.resolve("a/b/c.txt") + ": a regular file is in the way of a folder ("
                + plain + ")", e.getMessage());
    }
}
