package org.jepa4j.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import org.jepa4j.config.RunConfig;
import org.jepa4j.metadata.OnnxMetadata;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.config.RunConfigWriter;
import org.jepa4j.export.OnnxInitializers;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.testkit.ExportedEncoders;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InferenceBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void printsOneRowAndOneRatioLinePerLaneCount() throws Exception {
        Path model = ExportedEncoders.export(dir, TinyEncoders.RGB_ONE_LAYER, 3).model();
        String out = run("--model", model.toString(), "--batches", "1,3", "--seconds", "0.06", "--rounds", "3", "--lanes", "1,2");
        assertTrue(out.contains("ONNX Runtime (Java)  "), out);
        assertTrue(out.contains("ONNX Runtime (Java), 2 lanes"), out);
        assertTrue(out.contains("TensorFlow Java"), out);
        assertTrue(out.contains("ORT/TF, 1 lane"), out);
        assertTrue(out.contains("ORT/TF, 2 lanes"), out);
        // each ratio line holds one ratio per batch size
        long ratioLines = out.lines().filter(l -> l.startsWith("ORT/TF")).count();
        assertEquals(4, ratioLines, "images/s and CPU tables, two rows each:\n" + out);
        out.lines().filter(l -> l.startsWith("ORT/TF"))
                .forEach(l -> assertEquals(2, l.chars().filter(c -> c == 'x').count(), l));
    }

    @Test
    void aFeaturePutsTheInvariantExtractorNextToTheSessionFetchingThatOutputOnly() throws Exception {
        Path model = ExportedEncoders.export(dir, TinyEncoders.RGB_ONE_LAYER, 3).model();
        String out = run("--model", model.toString(), "--batches", "1,3", "--seconds", "0.06", "--rounds", "2",
                "--lanes", "1", "--feature", "pooled", "--no-tensorflow");
        assertTrue(out.contains("session 'pooled' only"), out);
        assertTrue(out.contains("FeatureExtractor pooled"), out);
        assertTrue(!out.contains("TensorFlow"), "--no-tensorflow leaves it out:\n" + out);
        // images/s and CPU tables: three rows each, every row one figure per batch size
        assertEquals(2, out.lines().filter(l -> l.startsWith("FeatureExtractor pooled")).count(), out);
    }

    @Test
    void randomInitExportsTheConfigsModelAtItsInitialWeightsAsFp32AndInt8SideBySide() throws Exception {
        RunConfig config = RunConfigLoader.resolve("fashion_mnist", List.of("meta.embed_dim=32", "meta.depth=1",
                "meta.num_heads=2", "meta.pred_depth=1", "meta.pred_emb_dim=16", "meta.seed=11"));
        Path yaml = dir.resolve("tiny.yaml");
        Files.writeString(yaml, RunConfigWriter.toYaml(config));
        Path work = dir.resolve("work");
        String out = run("--random-init", yaml.toString(), "--work", work.toString(), "--batches", "1,2",
                "--seconds", "0.06", "--rounds", "1", "--lanes", "1", "--no-tensorflow");
        assertTrue(out.lines().anyMatch(l -> l.startsWith("ONNX Runtime (Java) int8 tiny-seed11-int8.onnx")), out);
        // the float32 export holds exactly the weights training starts from (the initializer, seed 11)
        NamedTensors initial = Initializer.initialize(config.modelSpec(), 11, config.meta().init())
                .withPrefixRemoved(ParameterNames.TARGET_ENCODER);
        assertEquals(initial, OnnxInitializers.readEncoderWeights(work.resolve("tiny-seed11-fp32.onnx")));
        try (OrtSession s = OrtEnvironment.getEnvironment().createSession(
                work.resolve("tiny-seed11-int8.onnx").toString(), new OrtSession.SessionOptions())) {
            assertEquals("int8", s.getMetadata().getCustomMetadata().get(OnnxMetadata.PRECISION));
        }
        // a second run reuses the files
        long written = Files.getLastModifiedTime(work.resolve("tiny-seed11-int8.onnx")).toMillis();
        run("--random-init", yaml.toString(), "--work", work.toString(), "--batches", "1", "--seconds", "0.03",
                "--rounds", "1", "--lanes", "1", "--no-tensorflow");
        assertEquals(written, Files.getLastModifiedTime(work.resolve("tiny-seed11-int8.onnx")).toMillis());
        assertEquals(2, new CommandLine(new InferenceBenchmark()).execute("--model", "x.onnx", "--random-init", "y"));
        assertEquals(2, new CommandLine(new InferenceBenchmark()).execute("--batches", "1"));
    }

    @Test
    void aLaneOrRoundCountBelowOneIsAUsageError() {
        assertEquals(2, new CommandLine(new InferenceBenchmark()).execute("--model", "x.onnx", "--lanes", "0"));
        assertEquals(2, new CommandLine(new InferenceBenchmark()).execute("--model", "x.onnx", "--rounds", "0"));
    }

    @Test
    void aMissingFileAZeroBatchOrAnUnknownConfigIsRefusedBeforeAnythingIsMeasured() throws Exception {
        Path model = ExportedEncoders.export(dir, TinyEncoders.RGB_ONE_LAYER, 3).model();
        Path missing = dir.resolve("int8.onnx");
        assertRefused("--compare " + missing + ": no such file", "--model", model.toString(), "--compare",
                missing.toString(), "--no-tensorflow");
        assertRefused("--model " + missing + ": no such file", "--model", missing.toString(), "--no-tensorflow");
        assertRefused("--batches: expected sizes >= 1, got 0", "--model", model.toString(), "--batches", "1,0",
                "--no-tensorflow");
        assertRefused("--random-init no/such: no such file", "--random-init", "no/such", "--work", dir.toString());
    }

    /** Runs the benchmark, expecting exit code 2 and {@code message} on standard error, and nothing measured. */
    private static void assertRefused(String message, String... args) {
        BenchRun r = BenchRun.of(new InferenceBenchmark(), args);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith(message), r.err());
        assertEquals("", r.out(), "nothing measured");
    }

    private static String run(String... args) {
        BenchRun r = BenchRun.of(new InferenceBenchmark(), args);
        assertEquals(0, r.code(), r.err());
        return r.out();
    }
}
