package org.jepa4j.serve;

import org.jepa4j.data.Image;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.infer.ModelInfo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link BatchEmbedder} for one feature over the library's {@link FeatureExtractor}: {@link #prepare}
 * is the extractor's evaluation transform and {@link #embedPrepared} runs
 * {@link FeatureExtractor#embedPrepared}, the same stack/run/split path {@link FeatureExtractor#embedBatch}
 * takes; as features are batch-invariant, a served vector equals {@code FeatureExtractor.embed} on
 * the same bytes bit for bit. The embedders of one {@link #open} share one extractor (one session).
 */
public final class OnnxEmbedder implements BatchEmbedder {
    private final FeatureExtractor extractor;
    private final FeatureKind feature;
    private final Set<FeatureKind> kinds;
    private final ModelDescription description;

    /** The embedder of the extractor's selected feature. */
    public OnnxEmbedder(FeatureExtractor extractor) {
        this(extractor, extractor.info().feature());
    }

    /** The embedder of {@code feature} on {@code extractor}, which it closes (closing is idempotent). */
    public OnnxEmbedder(FeatureExtractor extractor, FeatureKind feature) {
        this.extractor = extractor;
        this.feature = feature;
        this.kinds = EnumSet.of(feature);
        ModelInfo info = extractor.info();
        Map<String, Integer> dims = new LinkedHashMap<>();
        for (FeatureKind k : FeatureKind.values()) {
            if (info.featureLength().containsKey(k)) {
                dims.put(k.outputName(), info.featureLength().get(k));
            }
        }
        Preprocessing p = info.preprocessing();
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("image_size", p.imageSize());
        pre.put("resize_size", p.resizeSize());
        pre.put("channels", p.channels());
        pre.put("mean", p.mean());
        pre.put("std", p.std());
        this.description = new ModelDescription(info.modelId(), feature.outputName(), info.dimension(feature),
                info.provider().label(), info.imageSize(), info.channels(), dims, pre, info.metadata());
    }

    /**
     * Opens the model once and returns one embedder per feature on that one session, the first being
     * the server's default.
     */
    public static List<OnnxEmbedder> open(Path model, List<FeatureKind> features, ExtractorOptions options)
            throws IOException {
        if (features.isEmpty()) {
            throw new IllegalArgumentException("no feature to serve");
        }
        FeatureExtractor fx = FeatureExtractor.open(model, options.toBuilder().feature(features.get(0)).build());
        List<OnnxEmbedder> out = new ArrayList<>();
        try {
            for (FeatureKind k : features) {
                out.add(new OnnxEmbedder(fx, k));
            }
        } catch (RuntimeException e) {
            fx.close();
            throw e;
        }
        return out;
    }

    @Override
    public ModelDescription describe() {
        return description;
    }

    @Override
    public float[] prepare(Image image) {
        return extractor.transform().apply(image);
    }

    @Override
    public float[][] embedPrepared(List<float[]> inputs) {
        return extractor.embedPrepared(inputs, kinds).get(feature);
    }

    @Override
    public void close() {
        extractor.close();
    }
}
