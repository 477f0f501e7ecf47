package org.jepa4j.config;

import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.PredictorSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PresetsTest {

    @Test
    void fashionMnistPresetYieldsTheIntendedSmallVit() {
        RunConfig c = RunConfigLoader.resolve("fashion_mnist", List.of());
        assertEquals(new ModelSpec(new EncoderSpec(28, 4, 1, 192, 4, 3, 768), new PredictorSpec(96, 3, 3, 384)),
                c.modelSpec());
        assertEquals(7, c.gridSize());
        assertEquals("fashion-mnist", c.data().source());
        assertEquals(List.of(0.2860), c.data().mean());
        assertEquals(List.of(0.0353), c.data().std());
        assertEquals(128, c.data().batchSize());
        assertEquals(2, c.data().numWorkers());
        assertEquals(4, c.mask().minKeep());
        assertEquals(22, c.optimization().epochs());
        assertEquals(List.of(1.0, 1.0), List.of(c.data().cropScale().min(), c.data().cropScale().max()));
        assertEquals("random", c.mask().truncation());
        assertEquals(1, c.optimization().warmup());
        assertEquals("runs/fashion_mnist", c.logging().folder());
        assertEquals(1, c.logging().checkpointFreq());
        assertEquals(List.of(), c.ignoredKeys());
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_tiny", "vit_small", "vit_base", "vit_large", "vit_huge", "vit_giant"})
    void modelPresetsAreTheOfficialLayoutAt224Patch16(String name) {
        RunConfig c = RunConfigLoader.resolve("models/" + name, List.of());
        assertEquals(name, c.meta().modelName());
        assertEquals(224, c.data().cropSize());
        assertEquals(16, c.mask().patchSize());
        assertEquals(ModelSpec.namedEncoder(name, 224, 16, 3), c.modelSpec().encoder());
        RunConfig official = RunConfigLoader.load(Path.of("graphs/official/in1k_vith14_ep300.yaml"));
        assertEquals(official.optimization(), c.optimization());
    }

    @Test
    void namesWithOrWithoutSuffixAndFilePathsResolve() {
        assertEquals(Path.of("graphs", "official", "in22k_vitg16_ep44.yaml").toString(),
                Presets.find("official/in22k_vitg16_ep44").origin());
        assertEquals(Path.of("graphs", "fashion_mnist.yaml").toString(), Presets.find("fashion_mnist.yaml").origin());
        assertEquals("graphs/models/vit_base.yaml", Presets.find("graphs/models/vit_base.yaml").origin());
    }

    @Test
    void presetsResolveFromTheClasspathWhenNoGraphsFolderHasThem() {
        ConfigSource s = Presets.find("models/vit_base", List.of());
        assertEquals("classpath:jepa4j/graphs/models/vit_base.yaml", s.origin());
        assertEquals("vit_base", RunConfigLoader.parse(s.text(), s.origin(), List.of()).meta().modelName());
    }

    @Test
    void aGraphsFolderWinsOverTheJar(@TempDir Path home) throws Exception {
        Files.createDirectories(home.resolve("graphs"));
        Files.writeString(home.resolve("graphs/fashion_mnist.yaml"), "meta:\n  seed: 42\n");
        ConfigSource s = Presets.find("fashion_mnist", List.of(home.resolve("graphs")));
        assertEquals(home.resolve("graphs/fashion_mnist.yaml").toString(), s.origin());
        assertEquals(42L, RunConfigLoader.parse(s.text(), s.origin(), List.of()).meta().seed());
    }

    @Test
    void anUnknownNameListsThePresets() {
        ConfigException e = assertThrows(ConfigException.class, () -> Presets.find("fashion_mnits"));
        assertTrue(e.getMessage().startsWith("fashion_mnits: no such file, and no preset graphs/fashion_mnits.yaml; "
                + "presets: "), e.getMessage());
        assertTrue(e.getMessage().contains("fashion_mnist, models/vit_base"), e.getMessage());
        assertTrue(e.getMessage().contains("official/in1k_vith14_ep300"), e.getMessage());
    }
}
