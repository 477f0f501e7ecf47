package org.jepa4j.train;

import org.jepa4j.data.Batch;
import org.jepa4j.model.ModelSpec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingGraphSmokeTest {
    @Test
    void runs() {
        ModelSpec spec = TinySetup.spec();
        try (TrainingGraph g = TrainingGraph.create(spec, TrainingGraph.TrainingGraphOptions.defaults())) {
            Batch b = TinySetup.batch(spec, 3, 1, 6, 2, 3, 1);
            double l0 = g.loss(b);
            System.out.println("device " + g.device() + " loss " + l0);
            for (int i = 1; i <= 5; i++) {
                var r = g.step(b, new TrainingGraph.StepHyperparameters(1e-3, 0.04, 0.99, i));
                System.out.println("step " + i + " " + r.loss());
            }
            System.out.println("pred len " + g.predictions(b).length);
            assertTrue(l0 > 0);
        }
    }
}
