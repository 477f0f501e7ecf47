package org.jepa4j.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunLogTest {
    @TempDir
    Path dir;

    @Test
    void columnsAreFoundByHeaderNameAndEmptyCellsAreMissing() throws IOException {
        Path f = dir.resolve("jepa_r0.csv");
        Files.writeString(f, "itr,epoch,loss,step,knn_top1\n0,1,0.9,0,\n1,1,0.8,1,0.55\n2,1,0.7,2\n");
        RunLog log = RunLog.read(f);
        assertEquals(3, log.rows());
        assertArrayEquals(new double[] {0.9, 0.8, 0.7}, log.column("loss"));
        double[] knn = log.column("knn_top1");
        assertTrue(Double.isNaN(knn[0]));
        assertEquals(0.55, knn[1]);
        assertTrue(Double.isNaN(knn[2]));
        assertTrue(log.has("knn_top1"));
        assertFalse(log.has("rankme"));
        assertNull(log.column("rankme"));
    }

    @Test
    void runFolderLogIsTheRankZeroCsv() throws IOException {
        Files.writeString(dir.resolve("other.csv"), "a\n1\n");
        Files.writeString(dir.resolve("jepa_r0.csv"), "loss\n1\n");
        assertEquals(dir.resolve("jepa_r0.csv"), RunLog.find(dir));
        Files.delete(dir.resolve("jepa_r0.csv"));
        assertEquals(dir.resolve("other.csv"), RunLog.find(dir));
        Files.writeString(dir.resolve("third.csv"), "a\n1\n");
        var e = assertThrows(IOException.class, () -> RunLog.find(dir));
        assertTrue(e.getMessage().contains("_r0.csv"), e.getMessage());
    }

    @Test
    void rowsLongerThanTheHeaderAreRejectedWithTheLineNumber() throws IOException {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, "loss,step\n1,2\n1,2,3\n");
        var e = assertThrows(IOException.class, () -> RunLog.read(f));
        assertEquals(f + ": line 3 has 3 cells, the header has 2", e.getMessage());
    }
}
