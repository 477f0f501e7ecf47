package org.jepa4j.bench;

import org.jepa4j.bench.TrainBenchmark.Setting;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainBenchmarkSettingTest {

    @Test
    void parsesIntraInterAndOptionalTowers() {
        assertEquals(new Setting(2, 1, 3), Setting.parse("2:1", 3), "towers default to the config's");
        assertEquals(new Setting(1, 2, 2), Setting.parse(" 1:2:2 ", 1));
        assertEquals(new Setting(0, 0, 1), Setting.parse("0:0:1", 4));
        assertEquals("1:2:2:fp32", Setting.parse("1:2:2", 1).label(), "the child JVM is told the precision too");
        assertEquals(new Setting(1, 2, 2, org.jepa4j.graph.MatmulPrecision.BF16), Setting.parse("1:2:2:bf16", 1));
        assertEquals(new Setting(1, 2, 2, org.jepa4j.graph.MatmulPrecision.BF16_ATTENTION),
                Setting.parse("1:2:2:bf16_attention", 1));
        assertEquals(Setting.parse("1:2:2", 1), Setting.parse(Setting.parse("1:2:2", 1).label(), 5), "label round-trips");
    }

    @Test
    void rejectsMalformedSettingsNamingThem() {
        for (String bad : new String[] {"2", "1:2:3:4", "a:b", "1:-1", "1:2:0", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Setting.parse(bad, 1), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("intra:inter[:towers]"),
                    e.getMessage());
        }
    }

    @Test
    void theReportedRoundIsTheMedianByImagesPerSecond() {
        Setting s = new Setting(1, 2, 2);
        java.util.function.DoubleFunction<TrainBenchmark.Row> row = ips -> new TrainBenchmark.Row(s, 0, 0, 0, 0, 0, ips, 0,
                0, 1, 0);
        assertEquals(80.0, TrainBenchmark.medianRound(java.util.List.of(row.apply(95), row.apply(72), row.apply(80)))
                .imagesPerSecond());
        assertEquals(72.0, TrainBenchmark.medianRound(java.util.List.of(row.apply(95), row.apply(72))).imagesPerSecond(),
                "an even count reports the lower middle round");
        assertEquals(60.0, TrainBenchmark.medianRound(java.util.List.of(row.apply(60))).imagesPerSecond());
    }

    @Test
    void badOptionsAreRefusedBeforeAnyBatchIsPreparedOrStepTimed() {
        String[][] cases = {
            {"--precision: meta.matmul_precision 'fp16' is not a precision", "--precision", "fp16"},
            {"--rounds 0: expected 1 or more", "--rounds", "0"},
            {"--official /no/such/checkout: not a facebookresearch/ijepa checkout", "--official", "/no/such/checkout"},
            {"--official: meta.target: pixels has no official step", "--official", "/no/such/checkout", "--set",
                "meta.target=pixels"},
            {"--precision, --rounds: not with --workers", "--workers", "2", "--precision", "bf16", "--rounds", "3"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("--config", "bench_w192d6"));
            args.addAll(Arrays.asList(c).subList(1, c.length));
            BenchRun r = BenchRun.of(new TrainBenchmark(), args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith(c[0]), r.err());
            assertEquals("", r.out(), "nothing measured or printed: " + c[0]);
        }
    }
}
