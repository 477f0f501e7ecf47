package org.jepa4j.train;

import org.jepa4j.config.OptimizationConfig;
import org.jepa4j.config.Range;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Schedules against their closed forms (docs/reference.md §5), at the edges of each phase. */
class SchedulesTest {
    private static final double EPS = 1e-15;

    /** ipe 10, 5 epochs, 2 warm-up epochs: warmup_steps 20, T 50. */
    private static OptimizationConfig config(double warmup, double ipeScale) {
        return OptimizationConfig.builder().epochs(5).ipeScale(ipeScale).warmup(warmup).probeEvery(0).build();
    }

    @Test
    void warmupIsLinearFromStartLrAndUsesCounterStartingAtOne() {
        Schedules s = Schedules.of(config(2, 1.0), 10);
        assertEquals(20, s.lr().warmupSteps());
        assertEquals(50, s.lr().horizon());
        // step 0 uses k = 1: 2e-4 + (1/20)·8e-4
        assertEquals(2.4e-4, s.at(0).lr(), EPS);
        assertEquals(2e-4 + 0.5 * 8e-4, s.lr().at(10), EPS);
        // last warm-up step k = 19
        assertEquals(2e-4 + 19.0 / 20 * 8e-4, s.at(18).lr(), EPS);
    }

    @Test
    void cosineStartsAtPeakAfterWarmupAndEndsAtFinalLr() {
        Schedules s = Schedules.of(config(2, 1.0), 10);
        assertEquals(1e-3, s.lr().at(20), EPS);
        // half-way through the cosine: k = 35, progress 15/30
        assertEquals(1e-6 + (1e-3 - 1e-6) * 0.5, s.lr().at(35), EPS);
        assertEquals(1e-6 + (1e-3 - 1e-6) * 0.5 * (1 + Math.cos(Math.PI * 10 / 30)), s.lr().at(30), EPS);
        // the run's last step (s = 49) uses k = 50 = T: final_lr exactly
        assertEquals(1e-6, s.at(49).lr(), EPS);
    }

    @Test
    void lrIsFlooredAtFinalLrOnlyByTheMax() {
        // past T the cosine climbs again; the reference only floors it with max(final_lr, ...)
        Schedules s = Schedules.of(config(2, 1.0), 10);
        assertEquals(1e-6 + (1e-3 - 1e-6) * 0.5 * (1 + Math.cos(Math.PI * 40 / 30)), s.lr().at(60), EPS);
        Schedules.WarmupCosineSchedule below = new Schedules.WarmupCosineSchedule(0, 1e-3, 1e-3, 5e-4, 10);
        assertEquals(5e-4, below.at(10), EPS);
    }

    @Test
    void zeroWarmupStartsOnTheCosine() {
        Schedules s = Schedules.of(config(0, 1.0), 10);
        assertEquals(0, s.lr().warmupSteps());
        assertEquals(1e-6 + (1e-3 - 1e-6) * 0.5 * (1 + Math.cos(Math.PI / 50)), s.at(0).lr(), EPS);
    }

    @Test
    void warmupStepsAreTruncatedFromFractionalEpochs() {
        Schedules s = Schedules.of(config(0.25, 1.0), 10);
        assertEquals(2, s.lr().warmupSteps()); // int(0.25·10) = int(2.5)
        assertEquals(2e-4 + 0.5 * 8e-4, s.at(0).lr(), EPS);
    }

    @Test
    void ipeScaleStretchesTheHorizon() {
        Schedules s = Schedules.of(config(2, 1.25), 10);
        assertEquals(62, s.lr().horizon()); // int(1.25·5·10)
        assertEquals(1e-6 + (1e-3 - 1e-6) * 0.5 * (1 + Math.cos(Math.PI * 30 / 42)), s.at(49).lr(), EPS);
        assertEquals(0.4 + (0.04 - 0.4) * 0.5 * (1 + Math.cos(Math.PI * 50 / 62)), s.at(49).weightDecay(), EPS);
        assertEquals(0.996 + 49 * 0.004 / 62.5, s.at(49).momentum(), EPS);
    }

    @Test
    void weightDecayRisesAlongACosineAndIsClamped() {
        Schedules s = Schedules.of(config(2, 1.0), 10);
        assertEquals(0.04, s.wd().at(0), EPS);
        assertEquals(0.4 - 0.36 * 0.5 * (1 + Math.cos(Math.PI / 50)), s.at(0).weightDecay(), EPS);
        assertEquals(0.22, s.wd().at(25), EPS);
        assertEquals(0.4, s.at(49).weightDecay(), EPS);
        // past T the cosine falls back; min(final, wd) keeps the value below final only
        assertEquals(0.4 - 0.36 * 0.5 * (1 + Math.cos(Math.PI * 1.2)), s.wd().at(60), EPS);
        // a decreasing schedule is clamped from below by max(final, wd)
        Schedules.CosineWDSchedule down = new Schedules.CosineWDSchedule(0.4, 0.04, 50);
        assertEquals(0.04 + 0.36 * 0.5 * (1 + Math.cos(Math.PI * 1.2)), down.at(60), EPS);
        assertEquals(0.04, down.at(50), EPS);
    }

    @Test
    void momentumIsLinearAndConsumedOncePerStep() {
        Schedules s = Schedules.of(config(2, 1.0), 10);
        assertEquals(0.996, s.at(0).momentum(), EPS);
        assertEquals(0.998, s.at(25).momentum(), EPS);
        assertEquals(0.996 + 49 * 0.004 / 50, s.at(49).momentum(), EPS);
        assertEquals(51, s.ema().length());
        assertEquals(1.0, s.ema().momentumAt(50), EPS);
        assertEquals(1.0, s.ema().momentumAt(51), EPS); // past the reference generator's end
    }

    /**
     * The reference's schedulers as the official loop drives them: objects with a step counter
     * bumped before each training step ({@code src/utils/schedulers.py}: {@code _step += 1}, then the
     * formula) and a momentum generator consumed once after each step ({@code src/train.py}:
     * {@code next(momentum_scheduler)}), replayed from step 0 with the config's numbers written out.
     */
    private static double[][] replayReferenceSchedulers(int steps) {
        // config(2, 1.25), ipe 10: warmup_steps int(2*10) = 20, T int(1.25*5*10) = 62, generator over 62.5
        double startLr = 2e-4, refLr = 1e-3, finalLr = 1e-6, refWd = 0.04, finalWd = 0.4;
        int warmupSteps = 20, tMax = 62;
        double lrStep = 0, wdStep = 0;
        java.util.Iterator<Double> momentum = java.util.stream.IntStream.range(0, 62 + 1)
                .mapToObj(i -> 0.996 + i * (1.0 - 0.996) / (10 * 5 * 1.25)).iterator();
        double[][] out = new double[steps][];
        for (int s = 0; s < steps; s++) {
            lrStep += 1;
            double lr = lrStep < warmupSteps
                    ? startLr + lrStep / Math.max(1, warmupSteps) * (refLr - startLr)
                    : Math.max(finalLr, finalLr + (refLr - finalLr) * 0.5
                    * (1 + Math.cos(Math.PI * (lrStep - warmupSteps) / Math.max(1, tMax - warmupSteps))));
            wdStep += 1;
            double wd = finalWd + (refWd - finalWd) * 0.5 * (1 + Math.cos(Math.PI * wdStep / tMax));
            wd = finalWd <= refWd ? Math.max(finalWd, wd) : Math.min(finalWd, wd);
            out[s] = new double[] {lr, wd, momentum.next()};
        }
        return out;
    }

    @Test
    void anyStepVisitedInAnyOrderGivesTheReferenceSchedulersSteppedFromTheStart() {
        // what resume relies on: Schedules.at(step), asked for steps out of order as a resumed run
        // does, equals the stateful reference schedulers stepped from 0 up to that step
        double[][] expected = replayReferenceSchedulers(62);
        Schedules s = Schedules.of(config(2, 1.25), 10);
        for (int step = 61; step >= 0; step -= 3) {
            Schedules.Values v = s.at(step);
            assertEquals(expected[step][0], v.lr(), 1e-15, "lr at step " + step);
            assertEquals(expected[step][1], v.weightDecay(), 1e-15, "wd at step " + step);
            assertEquals(expected[step][2], v.momentum(), 1e-15, "momentum at step " + step);
        }
    }

    @Test
    void emaUpdateIsTheConvexCombination() {
        float[] target = {4f, -2f, 0f};
        float[] online = {8f, 2f, 1f};
        EmaUpdater.update(target, online, 0.75);
        assertEquals(5f, target[0]);
        assertEquals(-1f, target[1]);
        assertEquals(0.25f, target[2]);
        EmaUpdater.update(target, online, 1.0);
        assertEquals(5f, target[0]);
        assertThrows(IllegalArgumentException.class, () -> EmaUpdater.update(new float[2], new float[3], 0.5));
    }

    @Test
    void invalidInputsAreRejectedWithTheirValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedules.of(config(2, 1.0), 0));
        assertEquals("iterations per epoch must be positive, got 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schedules.of(config(2, 1.0), 10).at(-1));
    }
}
