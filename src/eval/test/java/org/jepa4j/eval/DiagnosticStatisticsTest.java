package org.jepa4j.eval;

import org.apache.commons.math3.exception.MaxCountExceededException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A diagnostic statistic that cannot be computed is reported as n/a with one warning, never an internal exception. */
class DiagnosticStatisticsTest {
    @Test
    void aStatisticThatDoesNotConvergeIsNaNWithOneWarningNamingItAndTheFeatures() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);
        double v = Evaluation.diagnostic("RankMe", "raw_pixels", () -> {
            throw new MaxCountExceededException(30); // what EigenDecomposition throws when it does not converge
        }, log);
        assertTrue(Double.isNaN(v));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.startsWith("warning: RankMe of raw_pixels could not be computed"), out);
        assertEquals(2.5, Evaluation.diagnostic("RankMe", "x", () -> 2.5, log));
        assertThrows(IllegalArgumentException.class, () -> Evaluation.diagnostic("RankMe", "x", () -> {
            throw new IllegalArgumentException("a bug is not hidden");
        }, log));
    }
}
