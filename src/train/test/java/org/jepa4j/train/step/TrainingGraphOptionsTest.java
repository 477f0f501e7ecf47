package org.jepa4j.train.step;

import org.jepa4j.model.InitScheme;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingGraphOptionsTest {

    @Test
    void defaultsAreTheReferencesLossAndTorchAdamW() {
        TrainingGraphOptions d = TrainingGraphOptions.defaults();
        // torch.optim.AdamW's defaults (upstream src/helper.py:142 passes none), F.smooth_l1_loss
        assertEquals("smooth_l1", d.loss());
        assertEquals(0.9, d.beta1());
        assertEquals(0.999, d.beta2());
        assertEquals(1e-8, d.eps());
        assertEquals(1, d.towers());
        assertEquals("none", d.towerDevices());
        assertEquals(PredictionTarget.features(), d.target());
        assertEquals(InitScheme.reference(), d.init());
    }

    @Test
    void toBuilderKeepsEveryValueItDoesNotChange() {
        TrainingGraphOptions o = TrainingGraphOptions.builder().loss("l2").seed(42).threads(3, 5).adamW(0.8, 0.95, 1e-6)
                .towers(4).towerDevices("cpu").target(PredictionTarget.pixels(false)).build();
        assertEquals(o, o.toBuilder().build());
        TrainingGraphOptions changed = o.toBuilder().towers(2).build();
        assertEquals(new TrainingGraphOptions("l2", 42, 3, 5, 0.8, 0.95, 1e-6, 2, "cpu", PredictionTarget.pixels(false),
                InitScheme.reference()), changed);
    }

    @Test
    void buildRejectsValuesOutOfRangeNamingThem() {
        IllegalArgumentException beta = assertThrows(IllegalArgumentException.class,
                () -> TrainingGraphOptions.builder().adamW(1.0, 0.999, 1e-8).build());
        assertTrue(beta.getMessage().contains("beta1 1.0"), beta.getMessage());
        IllegalArgumentException devices = assertThrows(IllegalArgumentException.class,
                () -> TrainingGraphOptions.builder().towerDevices("tpu").build());
        assertTrue(devices.getMessage().contains("'tpu'"), devices.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingGraphOptions.builder().threads(-1, 0).build());
        assertThrows(IllegalArgumentException.class, () -> TrainingGraphOptions.builder().target(null).build());
    }
}
