package org.jepa4j.importer;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.testing.OfficialFixture;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Imports the official-tiny fixture's checkpoint, for the parity tests of every module. */
public final class FixtureImport {
    private FixtureImport() {
    }

    /** Imports {@code fx}'s checkpoint into {@code runDir} (heads from its config.json) and reads it back. */
    public static Checkpoint importInto(OfficialFixture fx, Path runDir) throws IOException, ImportException {
        ImportOptions options = new ImportOptions(null, 0, 0, fx.encoderHeads(), 0, 0, 0, fx.predictorHeads(), false);
        try (WeightSource src = CheckpointImporter.open(fx.checkpoint(), false)) {
            CheckpointImporter.importInto(src, options, runDir, new PrintWriter(new StringWriter()));
        }
        return Checkpoint.read(runDir);
    }
}
