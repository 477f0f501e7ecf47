package org.jepa4j.serve;

import org.jepa4j.data.Image;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.infer.Batchifier;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.infer.ModelInfo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link BatchEmbedder} over the library's {@link FeatureExtractor}: {@link #prepare} is the
 * extractor's evaluation transform and {@link #embedPrepared} stacks with {@link Batchifier} and
 * runs {@link FeatureExtractor#embedStacked}, the same path {@link FeatureExtractor#embedBatch} takes, so a
 * served vector equals {@code FeatureExtractor.embed} on the same bytes.
 */
public final class OnnxEmbedder implements BatchEmbedder {
    private final FeatureExtractor extractor;
    private final ModelDescription description;
    private final int inputLength;

    public OnnxEmbedder(FeatureExtractor extractor) {
        this.extractor = extractor;
        ModelInfo info = extractor.info();
        this.inputLength = extractor.transform().outputLength();
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
        this.description = new ModelDescription(info.modelId(), info.feature().outputName(), info.dimension(),
                info.provider().label(), info.imageSize(), info.channels(), dims, pre, info.metadata());
    }

    /**
     * Opens one extractor per feature ({@code options} with each feature in turn), the first
     * being the server's default. Closes what it opened when a later one fails.
     */
    public static List<OnnxEmbedder> open(Path model, List<FeatureKind> features, ExtractorOptions options)
            throws IOException {
        if (features.isEmpty()) {
            throw new IllegalArgumentException("no feature to serve");
        }
        List<OnnxEmbedder> out = new ArrayList<>();
        try {
            for (FeatureKind k : features) {
                out.add(new OnnxEmbedder(FeatureExtractor.open(model, options.withFeature(k))));
            }
        } catch (IOException | RuntimeException e) {
            out.forEach(OnnxEmbedder::close);
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
        return extractor.embedStacked(Batchifier.stack(inputs, inputLength), inputs.size());
    }

    @Override
    public void close() {
        extractor.close();
    }
}
