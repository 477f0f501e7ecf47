package org.jepa4j.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tools/train-cluster --workers N} refuses more workers than the host can hold before starting any. */
class ClusterWorkersBoundTest {
    @Test
    void tooManyWorkersAreRefusedBeforeAnyStarts() throws Exception {
        for (String n : new String[] {"300", "2147483648", "99999999999999999999"}) {
            ProcessBuilder pb = new ProcessBuilder("tools/train-cluster", "--workers", n, "--config", "fashion_mnist")
                    .redirectErrorStream(true);
            // a CLI that would fail loudly if it were ever started
            pb.environment().put("JEPA4J_CLI", "false");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.contains("--workers " + n) && out.contains("at most 64") && !out.contains("STARTED"), out);
            assertEquals(1, out.lines().count(), out);
        }
    }
}
