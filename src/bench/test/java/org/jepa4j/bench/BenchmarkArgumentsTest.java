package org.jepa4j.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command lines of the smaller benchmarks and of precision-loss: --help runs nothing, a bad
 * argument is named and runs nothing.
 */
class BenchmarkArgumentsTest {
    record Case(String name, Supplier<Callable<Integer>> bench, List<String> bad, String badWords) {
    }

    static final List<Case> CASES = List.of(
            new Case("bench-eval", EvalBenchmark::new, List.of("2000", "0"), "N_TEST: expected 1 or more, got 0"),
            new Case("bench-masks", MaskSamplerBenchmark::new, List.of("x"), "'x' is not an int"),
            new Case("bench-checkpoint", CheckpointBenchmark::new, List.of("no/such"), "PRESET no/such: no such file"),
            new Case("precision-loss", PrecisionLoss::new, List.of("--checkpoint", "no/such"),
                    "--checkpoint no/such: no such checkpoint file or run folder"),
            new Case("bench-spark", SparkBenchmark::new, List.of("--images", "0"), "--images and --rounds: expected 1"
                    + " or more, got 0"));

    @Test
    void helpPrintsTheUsageAndRunsNothing() {
        for (Case c : CASES) {
            BenchRun r = BenchRun.of(c.bench().get(), "--help");
            assertEquals(0, r.code(), c.name());
            assertTrue(r.out().startsWith("Usage: " + c.name()), c.name() + ": " + r.out());
        }
    }

    @Test
    void aBadArgumentIsNamedWithExitCodeTwoAndRunsNothing() {
        for (Case c : CASES) {
            BenchRun r = BenchRun.of(c.bench().get(), c.bad().toArray(String[]::new));
            assertEquals(2, r.code(), c.name() + ": " + r.err());
            assertTrue(r.err().contains(c.badWords()), c.name() + ": " + r.err());
            assertEquals("", r.out(), c.name() + " measured nothing");
        }
    }
}
