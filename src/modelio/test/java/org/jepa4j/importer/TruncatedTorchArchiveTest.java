package org.jepa4j.importer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A torch archive cut short at any point is refused with one line naming the file, never an internal exception. */
class TruncatedTorchArchiveTest {
    @Test
    void anArchiveCutShortAnywhereIsRefusedNamingTheFile(@TempDir Path dir) throws IOException {
        Path whole = dir.resolve("whole.pth");
        try (OutputStream os = Files.newOutputStream(whole); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(new byte[] {(byte) 0x80, 2, '}', 'q', 0, '.'}); // {} as protocol-2 pickle
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("archive/data/0"));
            zip.write(new byte[4096]);
            zip.closeEntry();
        }
        byte[] all = Files.readAllBytes(whole);
        for (int cut : new int[] {4, 30, all.length / 3, all.length / 2, all.length - 30, all.length - 1}) {
            Path f = dir.resolve("cut-" + cut + ".pth");
            Files.write(f, Arrays.copyOf(all, cut));
            IOException e = assertThrows(IOException.class, () -> TorchArchive.open(f).close(), "cut at " + cut);
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().lines().count() == 1, e.getMessage());
        }
    }
}
