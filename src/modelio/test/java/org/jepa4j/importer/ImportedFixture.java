package org.jepa4j.importer;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.testing.OfficialFixture;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official-tiny fixture imported into a run folder, with its input images: the set-up of the
 * parity tests that run the official checkpoint through jepa4j (the reference forward, TensorFlow,
 * ONNX Runtime), and their one way of comparing an output with the official one.
 *
 * @param fixture    the fixture (its arrays and config)
 * @param run        the run folder the checkpoint was imported into
 * @param checkpoint the imported checkpoint
 * @param images     the fixture's input images {@code [batch, C, S, S]}, flattened (already normalised)
 * @param batch      the number of images
 */
public record ImportedFixture(OfficialFixture fixture, Path run, Checkpoint checkpoint, float[] images, int batch) {
    /** The fixture's tolerance on every output array (its README): max abs 1e-5. */
    public static final double TOL = 1e-5;
    /** The fixture's tolerance on the loss (its README): |loss - loss.txt| at most 5e-7. */
    public static final double LOSS_TOL = 5e-7;

    /**
     * Imports the fixture's checkpoint into {@code run}.
     *
     * @param run a run folder to create
     * @return the imported fixture
     * @throws IOException     when a file cannot be read or written
     * @throws ImportException when the import fails
     */
    public static ImportedFixture into(Path run) throws IOException, ImportException {
        OfficialFixture fx = OfficialFixture.load();
        Checkpoint ckpt = FixtureImport.importInto(fx, run);
        FloatTensor img = fx.array("images");
        return new ImportedFixture(fx, run, ckpt, img.data(), (int) img.shape()[0]);
    }

    /**
     * Exports the imported target encoder with the default options.
     *
     * @param model the ONNX file to write
     * @return {@code model}
     * @throws IOException when the export fails
     */
    public Path exportTarget(Path model) throws IOException {
        return exportTarget(model, OnnxExporter.Options.defaults());
    }

    /**
     * Exports the imported target encoder.
     *
     * @param model   the ONNX file to write
     * @param options the export's options (precision, ...)
     * @return {@code model}
     * @throws IOException when the export fails
     */
    public Path exportTarget(Path model, OnnxExporter.Options options) throws IOException {
        OnnxExporter.export(run, model, options);
        return model;
    }

    /**
     * One of the fixture's input images.
     *
     * @param b its index, 0 to {@code batch - 1}
     * @return image {@code b}, {@code [C, S, S]} flattened (already normalised)
     */
    public float[] image(int b) {
        int per = images.length / batch;
        return java.util.Arrays.copyOfRange(images, b * per, (b + 1) * per);
    }

    /**
     * One of the official outputs.
     *
     * @param name the array's name ({@code target_tokens}, {@code predictor_out}, ...)
     * @return the array
     * @throws IOException when it cannot be read
     */
    public FloatTensor array(String name) throws IOException {
        return fixture.array(name);
    }

    /**
     * Asserts {@code ours} within {@code tol} (max abs) of the official array {@code name} and
     * prints the error as {@code parity <engine> <what> max abs ...}.
     *
     * @param engine what computed {@code ours}, for the printed line
     * @param what   the output compared, for the message ({@code name} or a longer label)
     * @param name   the official array
     * @param ours   jepa4j's output, in the official array's layout
     * @param tol    the largest absolute difference accepted
     * @throws IOException when the official array cannot be read
     */
    public void assertWithin(String engine, String what, String name, float[] ours, double tol) throws IOException {
        report(engine, what, OfficialFixture.maxAbs(ours, array(name).data()), tol);
    }

    /** {@link #assertWithin(String, String, String, float[], double)} for an output in double precision. */
    public void assertWithin(String engine, String what, String name, double[] ours, double tol) throws IOException {
        report(engine, what, OfficialFixture.maxAbs(ours, array(name).data()), tol);
    }

    /**
     * Asserts {@code loss} within {@link #LOSS_TOL} of the official loss and prints the error.
     *
     * @param engine what computed the loss, for the printed line
     * @param loss   jepa4j's loss on the fixture's batch and masks
     * @throws IOException when the official loss cannot be read
     */
    public void assertLossWithin(String engine, double loss) throws IOException {
        double official = fixture.loss();
        double err = Math.abs(loss - official);
        System.out.printf(Locale.ROOT, "parity %s %-18s abs err %.3g (%.9f vs %.9f)%n", engine, "loss", err, loss,
                official);
        assertTrue(err <= LOSS_TOL, "loss " + loss + " vs " + official);
    }

    private static void report(String engine, String what, double err, double tol) {
        System.out.printf(Locale.ROOT, "parity %s %-18s max abs %.3g%n", engine, what, err);
        assertTrue(err <= tol, what + ": max abs " + err + " > " + tol);
    }

    /**
     * The fixture imported once for a test class, into a folder of its own that is removed after
     * the class's last test, and optionally its target encoder exported:
     * {@code @RegisterExtension static final ImportedFixture.PerClass FIXTURE = new ImportedFixture.PerClass();}
     */
    public static final class PerClass implements BeforeAllCallback, AfterAllCallback {
        private final OnnxExporter.Options export;
        private Path dir;
        private ImportedFixture imported;
        private Path model;

        /** Imports the fixture; exports nothing. */
        public PerClass() {
            this(null);
        }

        private PerClass(OnnxExporter.Options export) {
            this.export = export;
        }

        /**
         * Imports the fixture and exports its target encoder.
         *
         * @param options the export's options
         * @return the extension
         */
        public static PerClass exported(OnnxExporter.Options options) {
            return new PerClass(options);
        }

        /** @return the imported fixture */
        public ImportedFixture get() {
            if (imported == null) {
                throw new IllegalStateException("the fixture is imported before the class's tests: register this"
                        + " extension with @RegisterExtension on a static field");
            }
            return imported;
        }

        /** @return the exported target encoder (an ONNX file) */
        public Path model() {
            if (model == null) {
                throw new IllegalStateException("nothing was exported: create the extension with exported(options)");
            }
            return model;
        }

        @Override
        public void beforeAll(ExtensionContext context) throws Exception {
            dir = Files.createTempDirectory("jepa4j-fixture");
            imported = into(dir.resolve("run"));
            if (export != null) {
                model = imported.exportTarget(dir.resolve("target.onnx"), export);
            }
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
