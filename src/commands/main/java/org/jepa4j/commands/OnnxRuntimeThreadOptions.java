package org.jepa4j.commands;

import org.jepa4j.infer.ExtractorOptions;
import picocli.CommandLine.Option;

/**
 * Picocli mixin for the commands that run an exported encoder through ONNX Runtime
 * ({@code embed}, {@code eval}, {@code serve}): {@code --threads} and {@code --lanes}. Use it with
 * {@code @Mixin OnnxRuntimeThreadOptions runtime;} and {@link #applyTo}, which also takes the
 * command's default lane count.
 */
public final class OnnxRuntimeThreadOptions {

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "ONNX Runtime intra-op threads (0 = one per processor, shared among the lanes).")
    int threads;

    @Option(names = "--lanes", paramLabel = "N",
            description = "Run each batch as slices of at most " + ExtractorOptions.SLICE_IMAGES + " images taken by N workers"
                    + " side by side on the CPU, each with processors/N ONNX Runtime threads unless --threads is"
                    + " given: more images/s on batches, but a lone image gets only processors/N threads (default:"
                    + " one per processor for embed and eval, which run large batches; 1 for serve).")
    Integer lanes;

    /**
     * Refuses thread and lane counts beyond {@link org.jepa4j.io.Bounds#MAX_THREADS}.
     *
     * @throws IllegalArgumentException naming the option and the limit
     */
    public void check() {
        org.jepa4j.io.Bounds.zeroOrAtMost("--threads", threads, org.jepa4j.io.Bounds.MAX_THREADS, "threads");
        if (lanes != null) {
            org.jepa4j.io.Bounds.atMost("--lanes", lanes, org.jepa4j.io.Bounds.MAX_THREADS, "lanes");
        }
    }

    /** The builder with these thread and lane counts set; {@code defaultLanes} unless --lanes was given. */
    public ExtractorOptions.Builder applyTo(ExtractorOptions.Builder builder, int defaultLanes) {
        return builder.intraOpThreads(threads).lanes(lanes != null ? lanes : defaultLanes);
    }

    /** The default lane count of the batch commands ({@code embed}, {@code eval}): one per processor. */
    public static int onePerProcessor() {
        return Runtime.getRuntime().availableProcessors();
    }
}
