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
 * @param lanes          workers that run a batch's slices (of at most {@link BatchLanes#SLICE_IMAGES}
 *                       images) side by side on the CPU ({@link BatchLanes}); 1 by default (each batch
 *                       whole). With lanes > 1 and intraOpThreads 0 each run gets
 *                       {@code max(1, processors / lanes)} threads. Results equal the whole batch's up to
 *                       float rounding; throughput rises for batches, but a single image runs on
 *                       processors/lanes threads (slower for large models: 1.85x on a ViT-B/16)
 * @param maxPixels      largest {@code width·height} an encoded image's header may declare in
 *                       {@link FeatureExtractor#embed(java.nio.file.Path)} and {@link FeatureExtractor#embed(byte[])};
 *                       larger images are refused before decoding ({@link BoundedImageDecoder#DEFAULT_MAX_PIXELS}
 *                       by default, the server's default too)
 */
public record ExtractorOptions(FeatureKind feature, ExecutionProvider provider, int deviceId, int intraOpThreads,
                               boolean spinning, Optimization optimization, Preprocessing preprocessing, int lanes,
                               long maxPixels) {

    /** ONNX Runtime graph optimisation levels. */
    public enum Optimization { NONE, BASIC, EXTENDED, ALL }

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

    public static ExtractorOptions defaults() {
        return new ExtractorOptions(FeatureKind.POOLED, ExecutionProvider.CPU, 0, 0, false, Optimization.ALL, null, 1,
                BoundedImageDecoder.DEFAULT_MAX_PIXELS);
    }

    public static Builder builder() {
        return new Builder();
    }

    public ExtractorOptions withFeature(FeatureKind f) {
        return new ExtractorOptions(f, provider, deviceId, intraOpThreads, spinning, optimization, preprocessing, lanes, maxPixels);
    }

    public ExtractorOptions withProvider(ExecutionProvider p) {
        return new ExtractorOptions(feature, p, deviceId, intraOpThreads, spinning, optimization, preprocessing, lanes, maxPixels);
    }

    public ExtractorOptions withDeviceId(int id) {
        return new ExtractorOptions(feature, provider, id, intraOpThreads, spinning, optimization, preprocessing, lanes, maxPixels);
    }

    public ExtractorOptions withIntraOpThreads(int threads) {
        return new ExtractorOptions(feature, provider, deviceId, threads, spinning, optimization, preprocessing, lanes, maxPixels);
    }

    public ExtractorOptions withSpinning(boolean on) {
        return new ExtractorOptions(feature, provider, deviceId, intraOpThreads, on, optimization, preprocessing, lanes, maxPixels);
    }

    public ExtractorOptions withOptimization(Optimization o) {
        return new ExtractorOptions(feature, provider, deviceId, intraOpThreads, spinning, o, preprocessing, lanes, maxPixels);
    }

    public ExtractorOptions withPreprocessing(Preprocessing p) {
        return new ExtractorOptions(feature, provider, deviceId, intraOpThreads, spinning, optimization, p, lanes, maxPixels);
    }

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

        public Builder feature(FeatureKind f) {
            o = o.withFeature(f);
            return this;
        }

        public Builder provider(ExecutionProvider p) {
            o = o.withProvider(p);
            return this;
        }

        public Builder deviceId(int id) {
            o = o.withDeviceId(id);
            return this;
        }

        public Builder intraOpThreads(int n) {
            o = o.withIntraOpThreads(n);
            return this;
        }

        public Builder spinning(boolean on) {
            o = o.withSpinning(on);
            return this;
        }

        public Builder optimization(Optimization opt) {
            o = o.withOptimization(opt);
            return this;
        }

        public Builder preprocessing(Preprocessing p) {
            o = o.withPreprocessing(p);
            return this;
        }

        public Builder lanes(int n) {
            o = o.withLanes(n);
            return this;
        }

        public Builder maxPixels(long max) {
            o = o.withMaxPixels(max);
            return this;
        }

        public ExtractorOptions build() {
            return o;
        }
    }
}
