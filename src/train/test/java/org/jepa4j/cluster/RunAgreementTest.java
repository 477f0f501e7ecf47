package org.jepa4j.cluster;

import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.config.RunConfigWriter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What workers compare before step 1, and how they say where they differ (the exchange itself: ClusterTrainTest). */
class RunAgreementTest {

    private static RunAgreement.Description of(Map<String, String> m) {
        return new RunAgreement.Description(new TreeMap<>(m));
    }

    @Test
    void everyKeyOfTheResolvedConfigIsComparedButThePerHostOnes() {
        String yaml = RunConfigWriter.toYaml(RunConfigLoader.resolve("fashion_mnist", List.of("optimization.lr=0.003")));
        Map<String, String> entries = RunAgreement.configEntries(yaml);
        assertEquals("0.003", entries.get("config.optimization.lr"));
        assertEquals("0", entries.get("config.meta.seed"));
        for (String section : org.jepa4j.config.ConfigKeys.SECTIONS) {
            for (String key : org.jepa4j.config.ConfigKeys.keys(section)) {
                String name = section + "." + key;
                assertEquals(!RunAgreement.PER_HOST_KEYS.contains(name), entries.containsKey("config." + name), name);
            }
        }
    }

    @Test
    void workersWhoseAutoPrecisionResolvedDifferentlyAreToldToSetOneFormat() {
        // the same config (auto) on an AMX host and on one without: the graphs would compute in different formats
        RunAgreement.Description amx = of(Map.of("config.meta.matmul_precision", "auto", RunAgreement.MATMUL_PRECISION, "bf16"));
        RunAgreement.Description avx2 = of(Map.of("config.meta.matmul_precision", "auto", RunAgreement.MATMUL_PRECISION, "fp32"));
        String m = RunAgreement.disagreement(List.of(amx, avx2));
        assertTrue(m.contains(RunAgreement.MATMUL_PRECISION + ": worker 0 bf16, worker 1 fp32"), m);
        assertFalse(m.contains("config.meta.matmul_precision"), "the config itself agrees: " + m);
        assertTrue(m.contains("meta.matmul_precision auto chose by each host's CPU: set it to one format for every worker"), m);
        String other = RunAgreement.disagreement(List.of(of(Map.of("config.meta.seed", "0")), of(Map.of("config.meta.seed", "1"))));
        assertFalse(other.contains("auto chose"), "the hint only where the format differs: " + other);
    }

    @Test
    void aDescriptionReadsBackFromItsBytesEvenWithLineBreaksInValues() {
        RunAgreement.Description d = of(Map.of("config.data.source", "folder:/a b/c", "x.multi", "one\ntwo\\three",
                "run.resume_step", "12"));
        RunAgreement.Description back = RunAgreement.Description.parse(d.canonicalBytes());
        assertEquals(d.entries().keySet(), back.entries().keySet());
        assertEquals("folder:/a b/c", back.entries().get("config.data.source"));
        assertEquals("one\ntwo\\three", back.entries().get("x.multi"), "escaped line breaks and backslashes read back");
        assertArrayEquals(d.canonicalBytes(), back.canonicalBytes(), "canonical: the same bytes again");
    }

    @Test
    void theMessageNamesEveryDifferingKeyWithEachWorkersValueAndNothingElse() {
        RunAgreement.Description a = of(Map.of("config.optimization.lr", "0.001", "config.meta.seed", "0",
                "data.images", "32", "code.version", "0.1.0"));
        RunAgreement.Description b = of(Map.of("config.optimization.lr", "0.002", "config.meta.seed", "0",
                "data.images", "40", "code.version", "0.1.0"));
        assertNull(RunAgreement.disagreement(List.of(a, a, a)), "equal descriptions agree");
        String m = RunAgreement.disagreement(List.of(a, a, b));
        assertTrue(m.contains("config.optimization.lr: worker 0 0.001, worker 1 0.001, worker 2 0.002"), m);
        assertTrue(m.contains("data.images: worker 0 32, worker 1 32, worker 2 40"), m);
        assertFalse(m.contains("seed") || m.contains("code.version"), "only what differs: " + m);
        assertFalse(m.contains("\n"), "one line");
        RunAgreement.Description c = of(Map.of("config.optimization.lr", "0.001"));
        assertTrue(RunAgreement.disagreement(List.of(c, of(Map.of()))).contains("worker 1 (absent)"));
    }

    @Test
    void theExchangedFloatsCarryHashesLengthsAndBytesExactly() {
        // the collective sums float32 vectors in which one worker fills each slot: every value sent
        // must survive float32 and a sum with zeros exactly
        Random rnd = new Random(3);
        byte[] hash = new byte[32];
        rnd.nextBytes(hash);
        int workers = 3;
        float[] sum = new float[workers * RunAgreement.HASH_SLOTS];
        for (int r = 0; r < workers; r++) {
            float[] mine = RunAgreement.hashSlots(hash, 1000 + r, r, workers);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += mine[i];
            }
        }
        for (int r = 0; r < workers; r++) {
            for (int i = 0; i < 16; i++) {
                int expected = ((hash[2 * i] & 0xff) << 8) | (hash[2 * i + 1] & 0xff);
                assertEquals(expected, (int) sum[r * RunAgreement.HASH_SLOTS + i]);
            }
            assertEquals(1000 + r, (int) sum[r * RunAgreement.HASH_SLOTS + 16]);
        }
        byte[][] descriptions = {"a=1\n".getBytes(StandardCharsets.UTF_8), new byte[0], new byte[300]};
        rnd.nextBytes(descriptions[2]);
        int[] lengths = {descriptions[0].length, 0, 300};
        float[] all = new float[304];
        for (int r = 0; r < workers; r++) {
            float[] mine = RunAgreement.byteSlots(descriptions[r], lengths, r);
            for (int i = 0; i < all.length; i++) {
                all[i] += mine[i];
            }
        }
        for (int i = 0; i < 300; i++) {
            assertEquals(descriptions[2][i], (byte) Math.round(all[4 + i]));
        }
    }
}
