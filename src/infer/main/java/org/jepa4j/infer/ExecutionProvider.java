package org.jepa4j.infer;

import java.util.Locale;

/**
 * Where ONNX Runtime runs the model. CUDA and TensorRT need ONNX Runtime's GPU artifact
 * ({@code mvn -Pgpu package}); when they cannot start, the extractor logs one warning and runs on CPU.
 */
public enum ExecutionProvider {
    CPU, CUDA, TENSORRT,
    /** CUDA when ONNX Runtime offers it and it starts, otherwise CPU (without a warning). */
    AUTO;

    public static ExecutionProvider parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("execution provider '" + s + "': expected cpu, cuda, tensorrt or auto");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
