package org.jepa4j.train;

/**
 * The target encoder's exponential moving average (docs/reference.md §5): the momentum schedule
 * {@code m_i = ema0 + i·(ema1 − ema0)/(ipe·epochs·ipe_scale)}, {@code i = 0, 1, ...} consumed once
 * per step (linear 0.996 → 1.0 with the shipped values), and the update
 * {@code θ̄ ← m·θ̄ + (1 − m)·θ} applied after the optimizer step.
 *
 * <p>The training graph applies the update as a TF op; {@link #update} is the closed form on Java
 * arrays, used to check that op.
 *
 * @param ema0     momentum at the first step ({@code ema[0]})
 * @param ema1     momentum at the end of the horizon ({@code ema[1]})
 * @param ipe      iterations per epoch
 * @param epochs   {@code epochs}
 * @param ipeScale {@code ipe_scale}
 */
public record EmaUpdater(double ema0, double ema1, long ipe, int epochs, double ipeScale) {

    public EmaUpdater {
        if (ipe <= 0 || epochs <= 0 || !(ipeScale > 0)) {
            throw new IllegalArgumentException("EMA schedule needs ipe, epochs and ipe_scale > 0, got ipe " + ipe
                    + ", epochs " + epochs + ", ipe_scale " + ipeScale);
        }
    }

    /**
     * Number of values the reference's generator yields: {@code int(ipe·epochs·ipe_scale) + 1}.
     */
    public long length() {
        return (long) (ipe * epochs * ipeScale) + 1;
    }

    /**
     * Momentum {@code m_i} for the {@code i}-th step (0-based). Past the generator's end (only
     * reachable with {@code ipe_scale < 1}, where the reference raises StopIteration) the value is
     * held at {@code ema1} so the target encoder never extrapolates beyond it.
     */
    public double momentumAt(long i) {
        if (i < 0) {
            throw new IllegalArgumentException("EMA step must be >= 0, got " + i);
        }
        if (i >= length()) {
            return ema1;
        }
        return ema0 + i * (ema1 - ema0) / (ipe * epochs * ipeScale);
    }

    /**
     * The closed-form update {@code target[j] ← m·target[j] + (1 − m)·online[j]} in place,
     * computed in double precision per element and rounded once.
     */
    public static void update(float[] target, float[] online, double momentum) {
        if (target.length != online.length) {
            throw new IllegalArgumentException("EMA update needs equal sizes, got target " + target.length
                    + " and online " + online.length);
        }
        for (int j = 0; j < target.length; j++) {
            target[j] = (float) (momentum * target[j] + (1.0 - momentum) * online[j]);
        }
    }
}
