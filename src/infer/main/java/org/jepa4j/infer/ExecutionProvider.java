package org.jepa4j.infer;

import java.util.Locale;

/**
 * Where ONNX Runtime runs the model. CUDA and TensorRT need ONNX Runtime's GPU artifact
 * ({@code mvn -Pgpu package}); asking for one that cannot start is an error at
 * {@link FeatureExtractor#open(java.nio.file.Path, ExtractorOptions)}, only {@link #AUTO} falls back.
 */
public enum ExecutionProvider {
    /** ONNX Runtime's CPU kernels (the default). */
    CPU,
    /** NVIDIA CUDA; an error when it cannot start. */
    CUDA,
    /** NVIDIA TensorRT, with CUDA for the nodes it does not take; an error when it cannot start. */
    TENSORRT,
    /** CUDA when ONNX Runtime offers it and it starts, otherwise CPU with one log line. */
    AUTO;

    /**
     * The provider named {@code s} ({@code cpu}, {@code cuda}, {@code tensorrt}, {@code auto}; any case).
     *
     * @throws IllegalArgumentException naming {@code s} and the accepted names
     */
    public static ExecutionProvider parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("execution provider '" + s + "': expected cpu, cuda, tensorrt or auto");
        }
    }

    /** The lower-case name, as {@link #parse} reads it and reports show it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
