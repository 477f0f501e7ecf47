package org.jepa4j.train;

import org.jepa4j.config.OptimizationConfig;

/**
 * The reference's three per-step schedules (docs/reference.md §5), as pure functions of the
 * step so that a resumed run recomputes them instead of replaying them.
 *
 * <p>Step numbering: global training step {@code s = 0, 1, ...}. The reference steps the LR and
 * WD schedulers before each training step, so step {@code s} uses their counter
 * {@code k = s + 1}; the momentum generator is consumed once after each step, so step {@code s}
 * uses {@code i = s}. {@link #at(long)} does this bookkeeping.
 *
 * @param lr  learning rate (linear warm-up, then cosine)
 * @param wd  weight decay of the decayed parameter groups (cosine)
 * @param ema EMA momentum of the target encoder (linear)
 */
public record Schedules(WarmupCosineSchedule lr, CosineWDSchedule wd, EmaUpdater ema) {

    /**
     * The schedules of a run as the reference's {@code init_opt} builds them:
     * {@code warmup_steps = int(warmup·ipe)}, {@code T = int(ipe_scale·epochs·ipe)}.
     *
     * @param ipe iterations (steps) per epoch
     */
    public static Schedules of(OptimizationConfig o, long ipe) {
        if (ipe <= 0) {
            throw new IllegalArgumentException("iterations per epoch must be positive, got " + ipe);
        }
        long horizon = (long) (o.ipeScale() * o.epochs() * ipe);
        long warmupSteps = (long) (o.warmup() * ipe);
        return new Schedules(
                new WarmupCosineSchedule(warmupSteps, o.startLr(), o.lr(), o.finalLr(), horizon),
                new CosineWDSchedule(o.weightDecay(), o.finalWeightDecay(), horizon),
                new EmaUpdater(o.ema().min(), o.ema().max(), ipe, o.epochs(), o.ipeScale()));
    }

    /** The values training step {@code s} (0-based) uses. */
    public Values at(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        return new Values(lr.at(step + 1), wd.at(step + 1), ema.momentumAt(step));
    }

    /**
     * Values of one step.
     *
     * @param lr          learning rate
     * @param weightDecay weight decay of the decayed groups
     * @param momentum    EMA momentum applied after the optimizer step
     */
    public record Values(double lr, double weightDecay, double momentum) {
    }

    /**
     * The reference's {@code WarmupCosineSchedule}: for counter {@code k < warmupSteps},
     * {@code lr = startLr + (k / max(1, warmupSteps))·(refLr − startLr)}; afterwards
     * {@code lr = max(finalLr, finalLr + (refLr − finalLr)·0.5·(1 + cos(π·(k − warmupSteps) /
     * max(1, T − warmupSteps))))}.
     *
     * @param warmupSteps {@code int(warmup·ipe)}
     * @param startLr     {@code start_lr}
     * @param refLr       {@code lr} (the peak)
     * @param finalLr     {@code final_lr} (also a floor after the warm-up)
     * @param horizon     T = {@code int(ipe_scale·epochs·ipe)}
     */
    public record WarmupCosineSchedule(long warmupSteps, double startLr, double refLr, double finalLr, long horizon) {

        /** The learning rate at scheduler counter {@code k} (1 for the first training step). */
        public double at(long k) {
            if (k < warmupSteps) {
                double progress = (double) k / Math.max(1, warmupSteps);
                return startLr + progress * (refLr - startLr);
            }
            double progress = (double) (k - warmupSteps) / Math.max(1, horizon - warmupSteps);
            return Math.max(finalLr, finalLr + (refLr - finalLr) * 0.5 * (1.0 + Math.cos(Math.PI * progress)));
        }
    }

    /**
     * The reference's {@code CosineWDSchedule}: {@code wd = finalWd + (refWd − finalWd)·0.5·(1 +
     * cos(π·k/T))}, then clamped to not pass {@code finalWd} (a max when {@code finalWd <= refWd},
     * else a min), so it rises 0.04 → 0.4 along a cosine with the shipped values.
     *
     * @param refWd   {@code weight_decay}
     * @param finalWd {@code final_weight_decay}
     * @param horizon T = {@code int(ipe_scale·epochs·ipe)}
     */
    public record CosineWDSchedule(double refWd, double finalWd, long horizon) {

        /** The weight decay at scheduler counter {@code k} (1 for the first training step). */
        public double at(long k) {
            // The reference divides by T unguarded (T = 0 would raise); a run always has T >= 1.
            double progress = (double) k / Math.max(1, horizon);
            double wd = finalWd + (refWd - finalWd) * 0.5 * (1.0 + Math.cos(Math.PI * progress));
            return finalWd <= refWd ? Math.max(finalWd, wd) : Math.min(finalWd, wd);
        }
    }
}
