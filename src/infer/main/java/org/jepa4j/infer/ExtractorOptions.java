package org.jepa4j.infer;

import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.infer.internal.BatchLanes;

/**
 * How a {@link FeatureExtractor} runs. Made with {@link #builder()} (or {@link #toBuilder()} from
 * other options): {@code ExtractorOptions.builder().feature(FeatureKind.LAST_HIDDEN_STATE).lanes(2).build()}.
 *
 * @param feature        which output to return ({@link FeatureKind#POOLED} by default)
 * @param provider       execution provider ({@link ExecutionProvider#CPU} by default)
 * @param deviceId       GPU ordinal for CUDA/TensorRT
 * @param intraOpThreads ONNX Runtime intra-op threads; 0 = one per available processor (ONNX Runtime's
 *                       own default counts physical cores from the CPU topology and chose a single
 *                       thread on the 2-vCPU development VM, half the throughput at batch 64)
 * @param spinning       whether idle intra-op threads spin ({@code session.intra_op.allow_spinning});
 *                       off by default because spinning threads slow everyone down on shared hosts
 * @param optimization   graph optimisation level ({@link Optimization#ALL} by default)
 * @param preprocessing  preprocessing to use instead of the model's metadata; required for ONNX
 *                       models without jepa4j metadata, null otherwise
 * @param lanes          workers that run a batch's slices (of at most {@link #SLICE_IMAGES}
 *                       images) side by side on the CPU; 1 by default (each batch
 *                       whole). With lanes > 1 and intraOpThreads 0 each run gets
 *                       {@code max(1, processors / lanes)} threads. Results equal the whole batch's bit
 *                       for bit (features are batch-invariant); throughput rises for batches, but a single image runs on
 *                       processors/lanes threads (slower for large models: 1.85x on a ViT-B/16)
 * @param maxPixels      largest {@code width·height} an encoded image's header may declare in
 *                       {@link FeatureExtractor#embed(java.nio.file.Path)} and {@link FeatureExtractor#embed(byte[])};
 *                       larger images are refused before decoding ({@link BoundedImageDecoder#DEFAULT_MAX_PIXELS}
 *                       by default, the server's default too)
 */
public record ExtractorOptions(FeatureKind feature, ExecutionProvider provider, int deviceId, int intraOpThreads,
                               boolean spinning, Optimization optimization, Preprocessing preprocessing, int lanes,
                               long maxPixels) {

    /** Most images in one slice of a batch when {@code lanes > 1}. */
    public static final int SLICE_IMAGES = BatchLanes.SLICE_IMAGES;

    /** ONNX Runtime graph optimisation levels. */
    public enum Optimization {
        /** No graph rewriting. */
        NONE,
        /** Constant folding and redundant-node removal. */
        BASIC,
        /** BASIC and node fusions (LayerNorm, GELU, attention where recognised). */
        EXTENDED,
        /** Every optimisation, layout changes included (the default). */
        ALL
    }

    /** Checks every setting, naming the one that is out of range. */
    public ExtractorOptions {
        if (feature == null || provider == null || optimization == null) {
            throw new IllegalArgumentException("feature, provider and optimization must be set");
        }
        if (lanes < 1) {
            throw new IllegalArgumentException("lanes must be >= 1, got " + lanes);
        }
        if (maxPixels < 1) {
            throw new IllegalArgumentException("ExtractorOptions.maxPixels must be positive, got " + maxPixels);
        }
        if (intraOpThreads < 0 || deviceId < 0) {
            throw new IllegalArgumentException("intraOpThreads (" + intraOpThreads + ") and deviceId (" + deviceId
                    + ") must not be negative");
        }
    }

    /** Pooled features on the CPU, one thread per processor, no spinning, all optimisations, one lane, 40 M pixels. */
    public static ExtractorOptions defaults() {
        return builder().build();
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * These options with the feature returned by the single-feature calls.
     *
     * @deprecated use {@code toBuilder().feature(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ExtractorOptions withFeature(FeatureKind f) {
        return toBuilder().feature(f).build();
    }

    /**
     * These options with the execution provider.
     *
     * @deprecated use {@code toBuilder().provider(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ExtractorOptions withProvider(ExecutionProvider p) {
        return toBuilder().provider(p).build();
    }

    /**
     * These options with the GPU ordinal.
     *
     * @deprecated use {@code toBuilder().deviceId(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ExtractorOptions withDeviceId(int id) {
        return toBuilder().deviceId(id).build();
    }

    /**
     * These options with the intra-op thread count (0: one per processor, shared among the lanes).
     *
     * @deprecated use {@code toBuilder().intraOpThreads(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ExtractorOptions withIntraOpThreads(int threads) {
        return toBuilder().intraOpThreads(threads).build();
    }

    /**
     * These options with idle threads spinning or not.
     *
     * @deprecated use {@code toBuilder().spinning(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ExtractorOptions withSpinning(boolean on) {
        return toBuilder().spinning(on).build();
    }

    /**
     * These options with the graph optimisation level.
     *
     * @deprecated use {@code toBuilder().optimization(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ExtractorOptions withOptimization(Optimization o) {
        return toBuilder().optimization(o).build();
    }

    /**
     * These options with explicit preprocessing (null: the model's metadata).
     *
     * @deprecated use {@code toBuilder().preprocessing(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ExtractorOptions withPreprocessing(Preprocessing p) {
        return toBuilder().preprocessing(p).build();
    }

    /**
     * These options with the number of lanes.
     *
     * @deprecated use {@code toBuilder().lanes(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ExtractorOptions withLanes(int n) {
        return toBuilder().lanes(n).build();
    }

    /**
     * These options with {@code max} as the pixel limit of the extractor's own decoders.
     *
     * @deprecated use {@code toBuilder().maxPixels(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ExtractorOptions withMaxPixels(long max) {
        return toBuilder().maxPixels(max).build();
    }

    /** Builds options; starts from {@link #defaults()}. {@link #build()} checks every setting. */
    public static final class Builder {
        private FeatureKind feature = FeatureKind.POOLED;
        private ExecutionProvider provider = ExecutionProvider.CPU;
        private int deviceId = 0;
        private int intraOpThreads = 0;
        private boolean spinning = false;
        private Optimization optimization = Optimization.ALL;
        private Preprocessing preprocessing = null;
        private int lanes = 1;
        private long maxPixels = BoundedImageDecoder.DEFAULT_MAX_PIXELS;

        private Builder() {
        }

        private Builder(ExtractorOptions o) {
            feature = o.feature;
            provider = o.provider;
            deviceId = o.deviceId;
            intraOpThreads = o.intraOpThreads;
            spinning = o.spinning;
            optimization = o.optimization;
            preprocessing = o.preprocessing;
            lanes = o.lanes;
            maxPixels = o.maxPixels;
        }

        /** @param f which output the single-feature calls return @return this builder */
        public Builder feature(FeatureKind f) {
            feature = f;
            return this;
        }

        /** @param p the execution provider @return this builder */
        public Builder provider(ExecutionProvider p) {
            provider = p;
            return this;
        }

        /** @param id the GPU ordinal for CUDA/TensorRT @return this builder */
        public Builder deviceId(int id) {
            deviceId = id;
            return this;
        }

        /** @param n intra-op threads (0: one per processor, shared among the lanes) @return this builder */
        public Builder intraOpThreads(int n) {
            intraOpThreads = n;
            return this;
        }

        /** @param on whether idle intra-op threads spin @return this builder */
        public Builder spinning(boolean on) {
            spinning = on;
            return this;
        }

        /** @param opt the graph optimisation level @return this builder */
        public Builder optimization(Optimization opt) {
            optimization = opt;
            return this;
        }

        /** @param p preprocessing instead of the model's metadata (null: the metadata's) @return this builder */
        public Builder preprocessing(Preprocessing p) {
            preprocessing = p;
            return this;
        }

        /** @param n workers that run a batch's slices side by side @return this builder */
        public Builder lanes(int n) {
            lanes = n;
            return this;
        }

        /** @param max the pixel limit of the extractor's own decoders @return this builder */
        public Builder maxPixels(long max) {
            maxPixels = max;
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException naming the setting that is out of range
         */
        public ExtractorOptions build() {
            return new ExtractorOptions(feature, provider, deviceId, intraOpThreads, spinning, optimization, preprocessing,
                    lanes, maxPixels);
        }
    }
}
