package org.jepa4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MasksCommandTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Jepa4j.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void jsonReportsTheShippedMultiBlockStatisticsAndPaintsAPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("m.png");
        Run r = run("masks", "--config", "official/in1k_vith14_ep300", "--batches", "3", "--batch-size", "16", "--json", "--png", png.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("multiblock", j.get("strategy").asText());
        assertEquals(256, j.get("num_patches").asInt());
        assertEquals(6, j.get("possible_target_blocks").size());
        assertEquals(3, j.get("context_blocks_drawn").get("15x15").asInt());
        assertEquals(16, j.get("target_coverage").size());
        double kEnc = j.get("k_enc").get("mean").asDouble();
        assertTrue(kEnc > 0 && kEnc <= j.get("mean_context_before_truncation").asDouble());
        assertTrue(Files.size(png) > 0);
    }

    @Test
    void tableNamesTheKeyFigures() {
        Run r = run("masks", "--config", "official/in1k_vith14_ep300", "--batches", "2", "--batch-size", "8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("possible target blocks (h x w): 5x7 6x6 6x7 7x6 8x6 9x6"), r.out());
        assertTrue(r.out().contains("K_enc (kept context patches)"), r.out());
        assertTrue(r.out().contains("kept context coverage"), r.out());
    }

    @Test
    void badArgumentsExitWithUsageCode() {
        Run r = run("masks", "--config", "official/in1k_vith14_ep300", "--batches", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--batches"), r.err());
        // 8x8 grid, strategy block: a 6x6 target leaves 28 patches of context, fewer than min_keep 30
        Run small = run("masks", "--config", "official/in1k_vith14_ep300", "--set", "data.crop_size=32",
                "--set", "mask.patch_size=4", "--set", "mask.min_keep=30", "--set", "mask.strategy=block",
                "--batches", "1");
        assertEquals(2, small.code(), small.out() + small.err());
        assertTrue(small.err().contains("mask.min_keep 30"), small.err());
    }
}
