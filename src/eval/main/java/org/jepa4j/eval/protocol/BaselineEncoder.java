package org.jepa4j.eval.protocol;

import org.jepa4j.infer.ModelInfo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the random-init baseline encoder (an ONNX file of the same architecture as the evaluated
 * one) comes from: a file given by the caller ({@link #file}), or one built from a training run's
 * checkpoint ({@link RandomInitBaseline#ofRun}). A caller may supply any other source, for
 * instance one that initialises with another scheme.
 */
@FunctionalInterface
public interface BaselineEncoder {

    /**
     * The baseline encoder's ONNX file, created in {@code out} when it has to be built.
     *
     * @param out       the evaluation's output folder (exists)
     * @param evaluated the evaluated encoder, so that a baseline built here is exported like it (its
     *                  precision: an int8 model gets an int8 baseline)
     * @param log       progress and notes
     * @return the ONNX file to evaluate as the random-init baseline
     * @throws IOException when it cannot be read or built
     */
    Path encoder(Path out, ModelInfo evaluated, PrintStream log) throws IOException;

    /**
     * An encoder already exported.
     *
     * @param onnx the random-init encoder (ONNX)
     * @return a baseline that returns {@code onnx}
     */
    static BaselineEncoder file(Path onnx) {
        Objects.requireNonNull(onnx, "onnx");
        return (out, evaluated, log) -> onnx;
    }
}
