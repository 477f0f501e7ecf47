package org.jepa4j.data;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class EvalTransformTest {

    private static Image ramp(int c, int h, int w) {
        float[] px = new float[c * h * w];
        for (int i = 0; i < px.length; i++) {
            px[i] = i / (float) px.length;
        }
        return new Image(c, h, w, px);
    }

    @Test
    void centreCropOffsetRoundsHalfToEvenAsTorchvision() {
        // torchvision: top = int(round((5 - 4) / 2.0)) = round(0.5) = 0 in Python (half to even)
        Image img = ramp(1, 5, 5);
        EvalTransform t = new EvalTransform(new Preprocessing(4, 5, 1, new double[] {0}, new double[] {1}));
        assertArrayEquals(ImageOps.crop(img, 0, 0, 4, 4).pixels(), t.apply(img), 0f);
        // top (7 - 2) / 2 = 2.5 rounds to 2 (Java's Math.round would give 3); left (8 - 2) / 2 = 3
        Image wide = ramp(1, 7, 8);
        EvalTransform small = new EvalTransform(new Preprocessing(2, 7, 1, new double[] {0}, new double[] {1}));
        // shorter side 7 is already the resize size: no resampling, only the crop
        assertArrayEquals(ImageOps.crop(wide, 2, 3, 2, 2).pixels(), small.apply(wide), 0f);
    }

    @Test
    void greyInputIsReplicatedAndNormalisedPerChannel() {
        Image grey = ramp(1, 3, 3);
        double[] mean = {0.1, 0.2, 0.3};
        double[] std = {0.5, 1.0, 2.0};
        EvalTransform t = new EvalTransform(new Preprocessing(3, 3, 3, mean, std));
        float[] out = new float[t.outputLength()];
        t.applyInto(grey, new SplittableRandom(1), out, 0);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 9; i++) {
                assertEquals((grey.pixels()[i] - mean[c]) / std[c], out[c * 9 + i], 1e-6);
            }
        }
    }
}
