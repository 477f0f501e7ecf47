package org.jepa4j.data;

import java.util.SplittableRandom;

/**
 * Turns one decoded {@link Image} into the model's normalised {@code [C, S, S]} input. Training
 * ({@code pipeline.TrainTransform}, jepa4j-recipe) draws its randomness from the generator it is given, so a batch is a
 * pure function of its seeds; evaluation ({@link EvalTransform}) ignores the generator.
 */
public interface ImageTransform {

    /** C: channels of the output. */
    int outputChannels();

    /** S: output height and width. */
    int outputSize();

    /** Number of floats one image becomes: C·S·S. */
    default int outputLength() {
        return outputChannels() * outputSize() * outputSize();
    }

    /** Writes the normalised {@code [C, S, S]} values for {@code image} into {@code dest} at {@code offset}. */
    void applyInto(Image image, SplittableRandom random, float[] dest, int offset);

    /** One line naming the steps and their constants. */
    String describe();
}
