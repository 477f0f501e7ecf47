package org.jepa4j.config;

/**
 * The {@code optimization} section (docs/reference.md §5 and §7.1), plus jepa4j's keys.
 *
 * @param ema                {@code ema}: EMA momentum start and end ([0.996, 1.0]), linear over the run
 * @param epochs             {@code epochs}
 * @param finalLr            {@code final_lr}
 * @param finalWeightDecay   {@code final_weight_decay}
 * @param ipeScale           {@code ipe_scale}: stretches every schedule's horizon
 * @param lr                 {@code lr}: peak learning rate
 * @param startLr            {@code start_lr}
 * @param warmup             {@code warmup}: warm-up length in epochs
 * @param weightDecay        {@code weight_decay}: start of the cosine weight-decay schedule
 * @param maxSteps           jepa4j {@code max_steps}: stop after this many steps (0 = run all epochs);
 *                           schedules keep the horizon of the full run
 * @param probeEvery         jepa4j {@code probe_every}: collapse monitors every K steps (0 = off)
 * @param evalEvery          jepa4j {@code eval_every}: quick kNN on held-out images every N steps (0 = off)
 */
public record OptimizationConfig(Range ema, int epochs, double finalLr, double finalWeightDecay, double ipeScale,
                                 double lr, double startLr, double warmup, double weightDecay, long maxSteps,
                                 int probeEvery, int evalEvery) {

    public static OptimizationConfig defaults() {
        return new OptimizationConfig(Range.of(0.996, 1.0), 300, 1.0e-6, 0.4, 1.0, 0.001, 0.0002, 40, 0.04, 0,
                100, 0);
    }
}
