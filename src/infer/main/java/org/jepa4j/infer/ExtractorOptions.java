package org.jepa4j.infer;

import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.data.Preprocessing;

/**
 * How a {@link FeatureExtractor} runs.
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
    public static final int SLICE_IMAGES = 8;

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
        return new ExtractorOptions(FeatureKind.POOLED, ExecutionProvider.CPU, 0, 0, false, Optimization.ALL, null, 1,
                BoundedImageDecoder.DEFAULT_MAX_PIXELS);
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** These options with the feature returned by the single-feature calls. */
    public ExtractorOptions withFeature(FeatureKind f) {
        return new ExtractorOptions(f, provider, deviceId, intraOpThreads, spinning, optimization, preprocessing, lanes, maxPixels);
    }

    /** These options with the execution provider. */
    public ExtractorOptions withProvider(ExecutionProvider p) {
        return new ExtractorOptions(feature, p, deviceId, intraOpThreads, spinning, optimization, preprocessing, lanes, maxPixels);
    }

    /** These options with the GPU ordinal. */
    public ExtractorOptions withDeviceId(int id) {
        return new ExtractorOptions(feature, provider, id, intraOpThreads, spinning, optimization, preprocessing, lanes, maxPixels);
    }

    /** These options with the intra-op thread count (0: one per processor, shared among the lanes). */
    public ExtractorOptions withIntraOpThreads(int threads) {
        return new ExtractorOptions(feature, provider, deviceId, threads, spinning, optimization, preprocessing, lanes, maxPixels);
    }

    /** These options with idle threads spinning or not. */
    public ExtractorOptions withSpinning(boolean on) {
        return new ExtractorOptions(feature, provider, deviceId, intraOpThreads, on, optimization, preprocessing, lanes, maxPixels);
    }

    /** These options with the graph optimisation level. */
    public ExtractorOptions withOptimization(Optimization o) {
        return new ExtractorOptions(feature, provider, deviceId, intraOpThreads, spinning, o, preprocessing, lanes, maxPixels);
    }

    /** These options with explicit preprocessing (null: the model's metadata). */
    public ExtractorOptions withPreprocessing(Preprocessing p) {
        return new ExtractorOptions(feature, provider, deviceId, intraOpThreads, spinning, optimization, p, lanes, maxPixels);
    }

    /** These options with the number of lanes. */
    public ExtractorOptions withLanes(int n) {
        return new ExtractorOptions(feature, provider, deviceId, intraOpThreads, spinning, optimization, preprocessing, n, maxPixels);
    }

    /** These options with {@code max} as the pixel limit of the extractor's own decoders. */
    public ExtractorOptions withMaxPixels(long max) {
        return new ExtractorOptions(feature, provider, deviceId, intraOpThreads, spinning, optimization, preprocessing, lanes,
                max);
    }

    /** Builder starting from {@link #defaults()}. */
    public static final class Builder {
        private ExtractorOptions o = defaults();

        /** As {@link ExtractorOptions#withFeature}. */
        public Builder feature(FeatureKind f) {
            o = o.withFeature(f);
            return this;
        }

        /** As {@link ExtractorOptions#withProvider}. */
        public Builder provider(ExecutionProvider p) {
            o = o.withProvider(p);
            return this;
        }

        /** As {@link ExtractorOptions#withDeviceId}. */
        public Builder deviceId(int id) {
            o = o.withDeviceId(id);
            return this;
        }

        /** As {@link ExtractorOptions#withIntraOpThreads}. */
        public Builder intraOpThreads(int n) {
            o = o.withIntraOpThreads(n);
            return this;
        }

        /** As {@link ExtractorOptions#withSpinning}. */
        public Builder spinning(boolean on) {
            o = o.withSpinning(on);
            return this;
        }

        /** As {@link ExtractorOptions#withOptimization}. */
        public Builder optimization(Optimization opt) {
            o = o.withOptimization(opt);
            return this;
        }

        /** As {@link ExtractorOptions#withPreprocessing}. */
        public Builder preprocessing(Preprocessing p) {
            o = o.withPreprocessing(p);
            return this;
        }

        /** As {@link ExtractorOptions#withLanes}. */
        public Builder lanes(int n) {
            o = o.withLanes(n);
            return this;
        }

        /** As {@link ExtractorOptions#withMaxPixels}. */
        public Builder maxPixels(long max) {
            o = o.withMaxPixels(max);
            return this;
        }

        /** The options set so far. */
        public ExtractorOptions build() {
            return o;
        }
    }
}
