package org.jepa4j.cluster;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StartPointTest {
    @Test
    void everyStepSurvivesTheFloat32SumWithTheOtherRanksZerosExactly() {
        long[] steps = {0, 1, 3, (1L << 24) + 1, (1L << 40) + 12345, Long.MAX_VALUE};
        for (long step : steps) {
            StartPoint p = new StartPoint(step > 0, step, 7);
            float[] sent = StartPoint.encode(p);
            // what the collective computes: rank 0's values plus two other ranks' zeros, in float32
            float[] summed = new float[sent.length];
            for (int i = 0; i < sent.length; i++) {
                summed[i] = (sent[i] + 0f) + 0f;
                assertTrue(sent[i] == Math.rint(sent[i]) && sent[i] < (1 << 24), "part " + i + " is an exact integer");
            }
            assertEquals(p, StartPoint.decode(summed), "step " + step);
        }
        assertEquals(StartPoint.fresh(), StartPoint.decode(StartPoint.encode(StartPoint.fresh())));
    }

    @Test
    void aNegativeStepOrNoWorkersIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new StartPoint(true, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> new StartPoint(true, 5, 0));
    }
}
