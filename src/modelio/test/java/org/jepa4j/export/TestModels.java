package org.jepa4j.export;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.metadata.OnnxMetadata;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Seeded random encoders and checkpoints for export and inference tests. */
public final class TestModels {
    private TestModels() {
    }

    /**
     * Gaussian weights of every encoder parameter. The scale is larger than the reference's 0.02 so
     * attention and GELU are far from linear and a wrong graph shows; LayerNorm weights scatter around 1.
     */
    public static NamedTensors randomEncoder(EncoderSpec spec, long seed) {
        Random r = new Random(seed);
        NamedTensors.Builder b = NamedTensors.builder();
        for (Map.Entry<String, long[]> e : ParameterNames.encoder(spec).entrySet()) {
            long[] shape = e.getValue();
            float[] v = new float[Math.toIntExact(FloatTensor.elementCount(shape))];
            boolean norm = e.getKey().contains("norm") && e.getKey().endsWith("weight");
            double scale = e.getKey().endsWith("bias") ? 0.1 : e.getKey().equals("pos_embed") ? 0.5
                    : norm ? 0.2 : 1.0 / Math.sqrt(shape.length > 1 ? shape[1] * (shape.length == 4 ? shape[2] * shape[3] : 1) : 1);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((norm ? 1.0 : 0.0) + scale * r.nextGaussian());
            }
            b.put(e.getKey(), new FloatTensor(shape, v));
        }
        return b.build();
    }

    /** Normalised-looking random pixels {@code [count, C, S, S]}. */
    public static float[] randomPixels(EncoderSpec spec, int count, long seed) {
        Random r = new Random(seed);
        float[] px = new float[count * spec.channels() * spec.imageSize() * spec.imageSize()];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) r.nextGaussian();
        }
        return px;
    }

    public static ModelSpec modelSpec(EncoderSpec e) {
        return new ModelSpec(e, ModelSpec.referencePredictor(e, e.width(), 1));
    }

    public static Preprocessing preprocessing(EncoderSpec e) {
        double[] mean = e.channels() == 1 ? new double[] {0.286} : new double[] {0.485, 0.456, 0.406};
        double[] std = e.channels() == 1 ? new double[] {0.353} : new double[] {0.229, 0.224, 0.225};
        return new Preprocessing(e.imageSize(), e.imageSize() + 2, e.channels(), mean, std);
    }

    /**
     * Writes a checkpoint whose target encoder uses {@code seed} and context encoder {@code seed + 1},
     * with preprocessing, config, state and provenance metadata.
     */
    public static Path writeCheckpoint(Path file, EncoderSpec e, long seed) throws IOException {
        NamedTensors tensors = randomEncoder(e, seed).withPrefixAdded(ParameterNames.TARGET_ENCODER)
                .merge(randomEncoder(e, seed + 1).withPrefixAdded(ParameterNames.ENCODER));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Checkpoint.MODEL, Checkpoint.modelSpecJson(modelSpec(e)));
        meta.put(Checkpoint.PREPROCESSING, preprocessing(e).toJson());
        meta.put(Checkpoint.CONFIG, "data:\n  crop_size: " + e.imageSize() + "\n");
        meta.put(Checkpoint.STATE, "{\"step\": 1234}");
        meta.put(Checkpoint.PROVENANCE, "{\"kind\": \"training\", \"run_folder\": \"test-run\", \"config_sha256\": \"abc123\"}");
        new Checkpoint(tensors, meta).write(file);
        return file;
    }

    /**
     * Writes a valid checkpoint (finite weights, intact checksums) like {@link #writeCheckpoint}
     * whose target encoder's patch embedding is {@link Float#MAX_VALUE} everywhere: it exports, but
     * the products overflow, so every feature of every image is NaN or infinite.
     */
    public static Path writeOverflowingCheckpoint(Path file, EncoderSpec e, long seed) throws IOException {
        Checkpoint c = Checkpoint.read(writeCheckpoint(file, e, seed));
        String patch = ParameterNames.TARGET_ENCODER + "patch_embed.proj.weight";
        NamedTensors.Builder b = NamedTensors.builder();
        c.tensors().asMap().forEach((n, t) -> {
            if (n.equals(patch)) {
                float[] huge = new float[t.data().length];
                java.util.Arrays.fill(huge, Float.MAX_VALUE);
                b.put(n, new FloatTensor(t.shape(), huge));
            } else {
                b.put(n, t);
            }
        });
        new Checkpoint(b.build(), c.metadata()).write(file);
        return file;
    }
}
