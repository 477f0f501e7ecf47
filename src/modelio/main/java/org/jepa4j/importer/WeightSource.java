package org.jepa4j.importer;

import org.jepa4j.tensor.FloatTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Weights from a foreign file, named as jepa4j names them ({@code encoder.}, {@code predictor.},
 * {@code target_encoder.} plus the reference's parameter names; {@code optimizer.exp_avg.} and
 * {@code optimizer.exp_avg_sq.} moments when asked for). Shapes are known up front; values are
 * loaded one tensor at a time so an import can stream.
 */
public interface WeightSource extends AutoCloseable {

    /** The file read. */
    Path file();

    /** A short name of the format ("torch checkpoint", "Hugging Face safetensors"). */
    String format();

    /** Every tensor's shape in jepa4j names, in the source's order. */
    Map<String, long[]> shapes();

    /**
     * Loads one tensor as float32, row-major.
     *
     * @throws IOException naming the file and tensor when it cannot be read
     */
    FloatTensor load(String name) throws IOException;

    /**
     * The name of a tensor (jepa4j name, present or expected) in the source file's own naming,
     * for error messages.
     */
    default String sourceName(String name) {
        return name;
    }

    /** Training progress found in the file ({@code epoch}, {@code step}, ...); may be empty. */
    Map<String, Object> trainingState();

    /** What the import should tell the user about this source (parts missing, keys ignored). */
    List<String> notes();

    @Override
    void close() throws IOException;
}
