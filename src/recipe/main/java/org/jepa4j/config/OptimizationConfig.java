package org.jepa4j.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code optimization} section (docs/reference.md §5 and §7.1), plus jepa4j's keys. Built with
 * {@link #builder()}; read from a run file by {@link #parse} and written back by {@link #yamlValues}.
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

    /** Values of the official in1k_vith14_ep300 config, plus jepa4j defaults for the extra keys. */
    public static OptimizationConfig defaults() {
        return builder().build();
    }

    /** A builder holding {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this section's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }


    /** Reads the section's keys (absent keys keep their defaults), recording each problem in {@code s}. */
    static OptimizationConfig parse(Section s) {
        OptimizationConfig o = defaults();
        Builder b = o.toBuilder();
        Range ema = s.range("ema", o.ema());
        if (ema.min() < 0 || ema.max() > 1) {
            s.problem("ema", ema + " is outside [0, 1], expected EMA momentum values in [0, 1]");
        }
        b.ema(ema);
        b.epochs(s.atMost("epochs", s.positive("epochs", s.integer("epochs", o.epochs())), org.jepa4j.io.Bounds.MAX_EPOCHS,
                "epochs"));
        b.finalLr(s.notNegative("final_lr", s.number("final_lr", o.finalLr())));
        b.finalWeightDecay(s.notNegative("final_weight_decay", s.number("final_weight_decay", o.finalWeightDecay())));
        double ipeScale = s.number("ipe_scale", o.ipeScale());
        if (!(ipeScale > 0)) {
            s.problem("ipe_scale", ipeScale + " is not allowed, expected a positive scale");
        }
        b.ipeScale(ipeScale);
        b.lr(s.notNegative("lr", s.number("lr", o.lr())));
        b.startLr(s.notNegative("start_lr", s.number("start_lr", o.startLr())));
        b.warmup(s.notNegative("warmup", s.number("warmup", o.warmup())));
        b.weightDecay(s.notNegative("weight_decay", s.number("weight_decay", o.weightDecay())));
        long maxSteps = s.longInteger("max_steps", o.maxSteps());
        if (maxSteps < 0) {
            s.problem("max_steps", maxSteps + " is negative, expected 0 (all epochs) or a step count");
        }
        b.maxSteps(maxSteps);
        b.probeEvery(s.nonNegative("probe_every", s.integer("probe_every", o.probeEvery())));
        b.evalEvery(s.nonNegative("eval_every", s.integer("eval_every", o.evalEvery())));
        return b.build();
    }

    /** Every key's value as the writer emits it. */
    Map<String, Object> yamlValues() {
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("ema", ema);
        opt.put("epochs", epochs);
        opt.put("final_lr", finalLr);
        opt.put("final_weight_decay", finalWeightDecay);
        opt.put("ipe_scale", ipeScale);
        opt.put("lr", lr);
        opt.put("start_lr", startLr);
        // an integer in the shipped files (warmup: 40); fractional epochs stay floats
        opt.put("warmup", warmup == Math.rint(warmup) && Math.abs(warmup) < 1e15 ? (Object) (long) warmup : (Object) warmup);
        opt.put("weight_decay", weightDecay);
        opt.put("eval_every", evalEvery);
        opt.put("max_steps", maxSteps);
        opt.put("probe_every", probeEvery);
        return opt;
    }

    /** Builds a {@code optimization} section; starts from {@link #defaults()}, each setter names its key. */
    public static final class Builder {
        private Range ema = Range.of(0.996, 1.0);
        private int epochs = 300;
        private double finalLr = 1.0e-6;
        private double finalWeightDecay = 0.4;
        private double ipeScale = 1.0;
        private double lr = 0.001;
        private double startLr = 0.0002;
        private double warmup = 40;
        private double weightDecay = 0.04;
        private long maxSteps = 0;
        private int probeEvery = 100;
        private int evalEvery = 0;

        private Builder() {
        }

        private Builder(OptimizationConfig c) {
            ema = c.ema;
            epochs = c.epochs;
            finalLr = c.finalLr;
            finalWeightDecay = c.finalWeightDecay;
            ipeScale = c.ipeScale;
            lr = c.lr;
            startLr = c.startLr;
            warmup = c.warmup;
            weightDecay = c.weightDecay;
            maxSteps = c.maxSteps;
            probeEvery = c.probeEvery;
            evalEvery = c.evalEvery;
        }

        /** @param v {@code ema} @return this builder */
        public Builder ema(Range v) {
            ema = v;
            return this;
        }

        /** @param v {@code epochs} @return this builder */
        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        /** @param v {@code final_lr} @return this builder */
        public Builder finalLr(double v) {
            finalLr = v;
            return this;
        }

        /** @param v {@code final_weight_decay} @return this builder */
        public Builder finalWeightDecay(double v) {
            finalWeightDecay = v;
            return this;
        }

        /** @param v {@code ipe_scale} @return this builder */
        public Builder ipeScale(double v) {
            ipeScale = v;
            return this;
        }

        /** @param v {@code lr} @return this builder */
        public Builder lr(double v) {
            lr = v;
            return this;
        }

        /** @param v {@code start_lr} @return this builder */
        public Builder startLr(double v) {
            startLr = v;
            return this;
        }

        /** @param v {@code warmup} @return this builder */
        public Builder warmup(double v) {
            warmup = v;
            return this;
        }

        /** @param v {@code weight_decay} @return this builder */
        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        /** @param v {@code max_steps} @return this builder */
        public Builder maxSteps(long v) {
            maxSteps = v;
            return this;
        }

        /** @param v {@code probe_every} @return this builder */
        public Builder probeEvery(int v) {
            probeEvery = v;
            return this;
        }

        /** @param v {@code eval_every} @return this builder */
        public Builder evalEvery(int v) {
            evalEvery = v;
            return this;
        }

        /** @return the section */
        public OptimizationConfig build() {
            return new OptimizationConfig(ema, epochs, finalLr, finalWeightDecay, ipeScale, lr, startLr, warmup,
                    weightDecay, maxSteps, probeEvery, evalEvery);
        }
    }
}
