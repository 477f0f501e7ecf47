package org.jepa4j.train.step;

import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.MetaConfig;
import org.jepa4j.model.InitScheme;
import org.jepa4j.model.Initializer;

import java.util.List;

/**
 * How a training graph is built. Made by {@link #builder()} (the reference's values) or
 * {@link #toBuilder()} (these values, some changed); every value is checked when built.
 *
 * @param loss           {@code smooth_l1} (the reference, beta 1) or {@code l2} (mean squared error)
 * @param seed           seed of the initial weights ({@link Initializer})
 * @param intraOpThreads TensorFlow intra-op threads, 0 = TensorFlow's default
 * @param interOpThreads TensorFlow inter-op threads, 0 = TensorFlow's default
 * @param beta1          AdamW β1
 * @param beta2          AdamW β2
 * @param eps            AdamW ε (added to the bias-corrected √v as torch does)
 * @param towers         copies of the forward and backward pass, each on a slice of the batch,
 *                       whose gradients are summed before one update: the same step as one
 *                       tower up to float rounding, but independent work that TensorFlow's
 *                       inter-op threads run side by side (1 = one pass over the whole batch)
 * @param towerDevices   where the towers run: {@code none} (all on the session's one device, placed
 *                       by TensorFlow), {@code cpu} (tower i's forward and backward on
 *                       {@code /device:CPU:i}, the session made with that many CPU devices) or
 *                       {@code gpu} (tower i on {@code /device:GPU:i}); the update stays on device 0
 * @param target         what the predictor predicts ({@link PredictionTarget}; features by default)
 * @param init           how the initial weights are drawn ({@link InitScheme}; the reference's by default)
 */
public record TrainingGraphOptions(String loss, long seed, int intraOpThreads, int interOpThreads,
                                   double beta1, double beta2, double eps, int towers, String towerDevices,
                                   PredictionTarget target, InitScheme init) {

    /** Values of {@code towerDevices} ({@code meta.tower_devices}). */
    public static final List<String> TOWER_DEVICES = MetaConfig.TOWER_DEVICES;

    public TrainingGraphOptions {
        if (!ConfigKeys.LOSSES.contains(loss)) {
            throw new IllegalArgumentException("loss '" + loss + "' is not supported, expected one of " + ConfigKeys.LOSSES);
        }
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0)) {
            throw new IllegalArgumentException("AdamW betas must be in [0, 1) and eps > 0, got beta1 " + beta1
                    + ", beta2 " + beta2 + ", eps " + eps);
        }
        if (intraOpThreads < 0 || interOpThreads < 0) {
            throw new IllegalArgumentException("thread counts must be >= 0 (0 = default), got intra_op "
                    + intraOpThreads + ", inter_op " + interOpThreads);
        }
        if (towers < 1) {
            throw new IllegalArgumentException("towers must be >= 1, got " + towers);
        }
        if (!TOWER_DEVICES.contains(towerDevices)) {
            throw new IllegalArgumentException("tower devices '" + towerDevices + "' is not supported, expected one of "
                    + TOWER_DEVICES);
        }
        if (target == null) {
            throw new IllegalArgumentException("target must be given (PredictionTarget.features() for the reference's)");
        }
        if (init == null) {
            throw new IllegalArgumentException("init must be given (InitScheme.reference() for the reference's)");
        }
    }

    /**
     * smooth-L1, seed 0, TensorFlow's thread defaults, torch AdamW's betas (0.9, 0.999) and eps 1e-8,
     * one tower on the session's device, the feature target, the reference's initialisation.
     */
    public static TrainingGraphOptions defaults() {
        return builder().build();
    }

    /** A builder holding {@link #defaults()}' values. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options' values. */
    public Builder toBuilder() {
        return new Builder()
                .loss(loss)
                .seed(seed)
                .threads(intraOpThreads, interOpThreads)
                .adamW(beta1, beta2, eps)
                .towers(towers)
                .towerDevices(towerDevices)
                .target(target)
                .init(init);
    }

    /** Builds {@link TrainingGraphOptions}; one method per option, checked by {@link #build()}. */
    public static final class Builder {
        private String loss = "smooth_l1";
        private long seed;
        private int intraOpThreads;
        private int interOpThreads;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private int towers = 1;
        private String towerDevices = "none";
        private PredictionTarget target = PredictionTarget.features();
        private InitScheme init = InitScheme.reference();

        private Builder() {
        }

        /** @param loss {@code smooth_l1} or {@code l2} @return this builder */
        public Builder loss(String loss) {
            this.loss = loss;
            return this;
        }

        /** @param seed seed of the initial weights @return this builder */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param intraOp TensorFlow intra-op threads (0 = default)
         * @param interOp TensorFlow inter-op threads (0 = default)
         * @return this builder
         */
        public Builder threads(int intraOp, int interOp) {
            this.intraOpThreads = intraOp;
            this.interOpThreads = interOp;
            return this;
        }

        /**
         * @param beta1 AdamW β1
         * @param beta2 AdamW β2
         * @param eps   AdamW ε
         * @return this builder
         */
        public Builder adamW(double beta1, double beta2, double eps) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            return this;
        }

        /** @param towers copies of the forward and backward pass (>= 1) @return this builder */
        public Builder towers(int towers) {
            this.towers = towers;
            return this;
        }

        /** @param towerDevices {@code none}, {@code cpu} or {@code gpu} @return this builder */
        public Builder towerDevices(String towerDevices) {
            this.towerDevices = towerDevices;
            return this;
        }

        /** @param target what the predictor predicts @return this builder */
        public Builder target(PredictionTarget target) {
            this.target = target;
            return this;
        }

        /** @param init how the initial weights are drawn @return this builder */
        public Builder init(InitScheme init) {
            this.init = init;
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException naming the first value out of range
         */
        public TrainingGraphOptions build() {
            return new TrainingGraphOptions(loss, seed, intraOpThreads, interOpThreads, beta1, beta2, eps, towers,
                    towerDevices, target, init);
        }
    }
}
