package org.jepa4j.train;

/**
 * The loss became NaN or infinite. Training stops at once without writing a checkpoint, so the
 * last good {@code latest} checkpoint (from the previous epoch) survives.
 */
public final class TrainingDivergedException extends RuntimeException {
    private final long step;
    private final long epoch;
    private final double lr;

    /**
     * @param step  global step (0-based) whose loss was not finite
     * @param epoch 1-based epoch of that step
     * @param lr    learning rate that step used
     */
    public TrainingDivergedException(long step, long epoch, double lr, double loss, String lastGood) {
        super(String.format(java.util.Locale.ROOT,
                "loss is %s at step %d (epoch %d), lr %.4e: training stopped without writing a checkpoint; %s",
                Double.isNaN(loss) ? "NaN" : loss > 0 ? "+Inf" : "-Inf", step, epoch, lr,
                lastGood == null ? "no earlier checkpoint exists" : "the last good checkpoint is " + lastGood));
        this.step = step;
        this.epoch = epoch;
        this.lr = lr;
    }

    public long step() {
        return step;
    }

    public long epoch() {
        return epoch;
    }

    public double lr() {
        return lr;
    }
}
