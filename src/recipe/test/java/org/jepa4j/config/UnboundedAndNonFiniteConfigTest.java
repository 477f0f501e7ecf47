package org.jepa4j.config;

import org.jepa4j.io.Bounds;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A config's numbers are finite and its counts bounded, each refused naming the file and the key. */
class UnboundedAndNonFiniteConfigTest {
    @Test
    void nanAndInfinityAreRefusedInEveryNumericKeyNamingIt() {
        for (String c : List.of("optimization:\n  lr: .nan\n", "optimization:\n  weight_decay: .inf\n",
                "optimization:\n  warmup: -.inf\n", "optimization:\n  ema: [0.996, .nan]\n",
                "data:\n  mean: [.nan]\n", "data:\n  crop_scale: [0.3, .inf]\n", "mask:\n  pred_mask_scale: [.nan, 0.2]\n",
                "optimization:\n  final_lr: 1.0e+400\n")) {
            ConfigException e = assertThrows(ConfigException.class, () -> RunConfigLoader.parse(c, "run.yaml", List.of()), c);
            String key = c.substring(0, c.indexOf(':')) + "." + c.substring(c.indexOf('\n') + 3, c.lastIndexOf(':'));
            assertTrue(e.getMessage().contains("run.yaml") && e.getMessage().contains(key)
                    && e.getMessage().contains("finite"), c + " -> " + e.getMessage());
        }
    }

    @Test
    void countsBeyondTheirBoundAreRefusedNamingTheKey() {
        for (String[] c : List.of(new String[] {"data:\n  batch_size: 2147483647\n", "data.batch_size"},
                new String[] {"data:\n  num_workers: 100000\n", "data.num_workers"},
                new String[] {"data:\n  prefetch: 1000000\n", "data.prefetch"},
                new String[] {"optimization:\n  epochs: 2147483647\n", "optimization.epochs"},
                new String[] {"mask:\n  num_pred_masks: 2147483647\n", "mask.num_pred_masks"},
                new String[] {"meta:\n  pred_emb_dim: 2147483647\n", "meta.pred_emb_dim"},
                new String[] {"meta:\n  depth: 100000\n", "meta.depth"},
                new String[] {"meta:\n  mlp_ratio: 1.0e+9\n", "meta.mlp_ratio"})) {
            ConfigException e = assertThrows(ConfigException.class, () -> RunConfigLoader.parse(c[0], "run.yaml", List.of()));
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void boundsGiveOneLineNamingTheOptionAndTheLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bounds.atMost("--seeds", Integer.MAX_VALUE, 100, "runs per variant"));
        assertTrue(e.getMessage().equals("--seeds 2147483647: more runs per variant than the limit of 100"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Bounds.batchFitsTheHeap("--batch", 60_000, Runtime.getRuntime().maxMemory() / 1000));
        assertTrue(e.getMessage().startsWith("--batch 60000:") && e.getMessage().contains("heap")
                && e.getMessage().contains("use at most"), e.getMessage());
    }
}
