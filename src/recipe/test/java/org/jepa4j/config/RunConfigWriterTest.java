package org.jepa4j.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunConfigWriterTest {

    @ParameterizedTest
    @ValueSource(strings = {"official/in1k_vith14_ep300", "official/in1k_vith16-448_ep300",
            "official/in22k_vith14_ep66", "official/in22k_vitg16_ep44", "fashion_mnist", "models/vit_tiny"})
    void writingThenReadingGivesAnEqualConfig(String preset) {
        RunConfig c = RunConfigLoader.resolve(preset, List.of());
        assertEquals(c, RunConfigLoader.parse(RunConfigWriter.toYaml(c), "written.yaml", List.of()));
    }

    @Test
    void unusualValuesRoundTrip(@TempDir Path dir) throws Exception {
        RunConfig c = RunConfigLoader.resolve("fashion_mnist", List.of("optimization.warmup=0.25",
                "meta.seed=-9000000000", "data.source='idx:/tmp/a b: c.gz'", "logging.write_tag='yes'",
                "logging.folder='#not a comment'", "data.eval_source=null", "meta.read_checkpoint='null'",
                "optimization.final_lr=1.5e-7", "data.mean=[0.1234567890123]", "optimization.lr=123456789012345678.0",
                "data.pin_mem=true"));
        Path file = dir.resolve("run").resolve("config.yaml");
        RunConfigWriter.write(c, file);
        RunConfig back = RunConfigLoader.load(file);
        assertEquals(c, back);
        assertEquals("yes", back.logging().writeTag());
        assertEquals("null", back.meta().readCheckpoint());
        assertEquals(List.of("data.pin_mem"), back.ignoredKeys());
        try (var left = Files.list(file.getParent())) {
            assertEquals(List.of(file), left.toList(), "no temporary file is left behind");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"in1k_vith14_ep300", "in1k_vith16-448_ep300", "in22k_vith14_ep66", "in22k_vitg16_ep44"})
    void officialKeysAreWrittenExactlyAsTheShippedFiles(String name) throws Exception {
        String shipped = Files.readString(Path.of("graphs", "official", name + ".yaml"))
                .lines().filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
        String written = RunConfigWriter.toYaml(RunConfigLoader.load(Path.of("graphs", "official", name + ".yaml")));
        StringBuilder officialPart = new StringBuilder();
        boolean extras = false;
        for (String line : written.split("\n")) {
            if (!line.startsWith(" ")) {
                extras = false;
            } else if (line.equals("  # jepa4j")) {
                extras = true;
                continue;
            }
            if (!extras) {
                officialPart.append(line).append('\n');
            }
        }
        assertEquals(shipped, officialPart.toString());
    }

    /** Expected strings are Python 3's {@code yaml.safe_dump} of the same floats. */
    @ParameterizedTest
    @CsvSource({"1.0e-6, 1.0e-06", "0.0002, 0.0002", "0.001, 0.001", "40.0, 40.0", "1.5e-5, 1.5e-05",
            "1.0e16, 1.0e+16", "123456789012345.0, 123456789012345.0", "0.1, 0.1", "-2.5e-7, -2.5e-07",
            "0.0, 0.0", "0.996, 0.996", "1.0e-4, 0.0001", "1.23e20, 1.23e+20"})
    void floatsAreWrittenAsPyYamlDoes(double value, String expected) {
        assertEquals(expected, RunConfigWriter.pythonFloat(value));
    }

    @Test
    void stringsAreQuotedOnlyWhenNeeded() {
        assertEquals("vit_huge", RunConfigWriter.scalar("vit_huge"));
        assertEquals("$replace_this_with_absolute_path_to_your_datasets_directory",
                RunConfigWriter.scalar("$replace_this_with_absolute_path_to_your_datasets_directory"));
        assertEquals("'1.0'", RunConfigWriter.scalar("1.0"));
        assertEquals("'null'", RunConfigWriter.scalar("null"));
        assertEquals("null", RunConfigWriter.scalar(null));
        assertTrue(RunConfigWriter.scalar("a: b").startsWith("'"));
    }
}
