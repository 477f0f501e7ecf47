package org.jepa4j.testkit;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.importer.FixtureImport;
import org.jepa4j.importer.ImportException;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.testing.OfficialFixture;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The official-tiny fixture imported into a run folder, with its input images: the set-up of the
 * parity tests that run the official checkpoint through jepa4j (ONNX Runtime, TensorFlow).
 *
 * @param fixture    the fixture (its arrays and config)
 * @param run        the run folder the checkpoint was imported into
 * @param checkpoint the imported checkpoint
 * @param images     the fixture's input images {@code [batch, C, S, S]}, flattened
 * @param batch      the number of images
 */
public record ImportedFixture(OfficialFixture fixture, Path run, Checkpoint checkpoint, float[] images, int batch) {

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
        OnnxExporter.export(run, model, OnnxExporter.Options.defaults());
        return model;
    }
}
