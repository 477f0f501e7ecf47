package org.jepa4j.testkit;

import org.jepa4j.export.OnnxExporter;
import org.jepa4j.export.TestModels;
import org.jepa4j.model.EncoderSpec;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * "Write a seeded checkpoint and export it": the set-up of every test that runs an exported
 * encoder. The checkpoint is {@link TestModels#writeCheckpoint} (Gaussian weights, target encoder
 * from {@code seed}, context encoder from {@code seed + 1}, preprocessing and provenance metadata).
 */
public final class ExportedEncoders {
    /** The checkpoint file name {@link #export(Path, EncoderSpec, long)} writes. */
    public static final String CHECKPOINT = "c.safetensors";
    /** The ONNX file name {@link #export(Path, EncoderSpec, long)} writes. */
    public static final String MODEL = "encoder.onnx";

    private ExportedEncoders() {
    }

    /**
     * A checkpoint and its exported encoder.
     *
     * @param checkpoint the safetensors checkpoint
     * @param model      the exported ONNX file
     */
    public record Exported(Path checkpoint, Path model) {
    }

    /**
     * Writes {@value #CHECKPOINT} and exports it with the default options to {@value #MODEL}, both in {@code dir}.
     *
     * @param dir  an existing folder
     * @param spec the architecture
     * @param seed the weights' seed
     * @return both files
     * @throws IOException when a file cannot be written
     */
    public static Exported export(Path dir, EncoderSpec spec, long seed) throws IOException {
        return export(dir.resolve(CHECKPOINT), dir.resolve(MODEL), spec, seed, OnnxExporter.Options.defaults());
    }

    /**
     * Writes the checkpoint {@code checkpoint} and exports it to {@code model} with {@code options}.
     *
     * @param checkpoint the checkpoint file to write
     * @param model      the ONNX file to write
     * @param spec       the architecture
     * @param seed       the weights' seed
     * @param options    export options (encoder, external data, opset)
     * @return both files
     * @throws IOException when a file cannot be written
     */
    public static Exported export(Path checkpoint, Path model, EncoderSpec spec, long seed,
                                  OnnxExporter.Options options) throws IOException {
        OnnxExporter.export(TestModels.writeCheckpoint(checkpoint, spec, seed), model, options);
        return new Exported(checkpoint, model);
    }

    /**
     * One exported encoder for all the tests of a class, in a folder of its own removed after the
     * class's last test: {@code @RegisterExtension static final ExportedEncoders.PerClass ENCODER =
     * new ExportedEncoders.PerClass(spec, seed);}
     */
    public static final class PerClass implements BeforeAllCallback, AfterAllCallback {
        private final EncoderSpec spec;
        private final long seed;
        private Path dir;
        private Exported exported;

        /**
         * @param spec the architecture
         * @param seed the weights' seed
         */
        public PerClass(EncoderSpec spec, long seed) {
            this.spec = spec;
            this.seed = seed;
        }

        /** @return the checkpoint ({@value #CHECKPOINT}) */
        public Path checkpoint() {
            return exported().checkpoint();
        }

        /** @return the exported encoder ({@value #MODEL}) */
        public Path model() {
            return exported().model();
        }

        private Exported exported() {
            if (exported == null) {
                throw new IllegalStateException("the encoder is exported before the class's tests: register this"
                        + " extension with @RegisterExtension on a static field");
            }
            return exported;
        }

        @Override
        public void beforeAll(ExtensionContext context) throws IOException {
            dir = Files.createTempDirectory("jepa4j-encoder");
            exported = export(dir, spec, seed);
        }

        @Override
        public void afterAll(ExtensionContext context) throws IOException {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
