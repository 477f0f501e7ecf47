package org.jepa4j.cli;

import org.jepa4j.config.DataConfig;
import org.jepa4j.config.MaskConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.data.Split;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataCommandTest {

    private static RunConfig run(String source, int batch, int workers) {
        DataConfig d = DataConfig.defaults();
        DataConfig data = d.toBuilder().batchSize(batch).colorJitterStrength(0.0).cropSize(16).numWorkers(workers)
                .pinMem(false).useHorizontalFlip(true).source(source).evalSource(null).channels(1)
                .mean(List.of(0.5)).std(List.of(0.25)).prefetch(2).limit(0).maxPixels(DataConfig.defaults().maxPixels())
                .build();
        MaskConfig m = MaskConfig.defaults();
        // 16 px crops in 4 px patches: a 4x4 grid, small blocks, so min_keep 0
        MaskConfig mask = m.toBuilder().minKeep(0).patchSize(4).truncation("first").build();
        return RunConfig.defaults().withData(data).withMask(mask);
    }

    @Test
    void describePrintsCountsClassesAndTransform() {
        StringWriter s = new StringWriter();
        DataCommand.describe(run("synthetic:count=40,size=20,channels=3,classes=4", 8, 2), Split.TRAIN,
                new PrintWriter(s, true));
        String text = s.toString();
        assertTrue(text.contains("images:    40"), text);
        assertTrue(text.contains("20x20 pixels, 3 channels"), text);
        assertTrue(text.contains("classes:   4"), text);
        long classLines = text.lines().filter(l -> l.matches("\\s+\\d+\\s+class\\d+\\s+\\d+")).count();
        assertEquals(4, classLines, text);
        int total = text.lines().filter(l -> l.matches("\\s+\\d+\\s+class\\d+\\s+\\d+"))
                .mapToInt(l -> Integer.parseInt(l.strip().replaceAll(".*\\s", ""))).sum();
        assertEquals(40, total, text);
        assertTrue(text.contains("RandomResizedCrop(size 16, scale [0.3, 1.0]") && text.contains("HorizontalFlip"), text);
        assertTrue(text.contains("5 per epoch"), text);
    }

    @Test
    void benchPrintsOneRowPerWorkerSetting() {
        StringWriter s = new StringWriter();
        DataCommand.benchmark(run("synthetic:count=64,size=16,channels=1", 8, 2), Split.TRAIN, 3, 1, 0.0,
                new PrintWriter(s, true));
        String text = s.toString();
        assertTrue(text.contains("masks:     multiblock on a 4x4 grid"), text);
        List<String> rows = text.lines().filter(l -> l.matches("\\s+[12]\\s+3\\s+.*")).toList();
        assertEquals(2, rows.size(), text);
        for (String row : rows) {
            String[] f = row.strip().split("\\s+");
            long built = 0;
            for (int i = 7; i < f.length; i++) {
                built += Long.parseLong(f[i]);
            }
            assertEquals(Integer.parseInt(f[0]), f.length - 7, row); // one count per worker
            // 1 warm-up + 3 timed, plus at most the prefetch window (2 batches) built ahead
            assertTrue(built >= 4 && built <= 6, row);
        }
    }

    @Test
    void missingConfigIsAUsageError() {
        StringWriter err = new StringWriter();
        var cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("data");
        assertEquals(2, code);
        assertTrue(err.toString().contains("--config"), err.toString());
    }
}
