package org.jepa4j.importer;

import org.jepa4j.config.MetaConfig;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.PredictorSpec;

import java.util.Arrays;
import java.util.Map;

/**
 * Recovers a {@link ModelSpec} from a state dict's shapes (docs/reference.md §2–§3): width,
 * channels and patch size from {@code patch_embed.proj.weight [D,C,p,p]}, the grid from
 * {@code pos_embed [1,N,D]}, depth and MLP width from the blocks, the predictor's width, depth
 * and MLP width from its tensors. Heads are not in the weights: they come from the options.
 */
public final class SpecInference {
    private SpecInference() {
    }

    /**
     * The model the shapes describe, checked against every size the options fix.
     *
     * @throws ImportException naming the tensor and the disagreeing option or missing tensor
     */
    public static ModelSpec infer(Map<String, long[]> shapes, ImportOptions o) throws ImportException {
        String enc = shapes.containsKey("encoder.patch_embed.proj.weight") ? "encoder." : "target_encoder.";
        long[] patch = need(shapes, enc + "patch_embed.proj.weight", 4);
        int width = (int) patch[0];
        int channels = (int) patch[1];
        int p = (int) patch[2];
        if (patch[2] != patch[3]) {
            throw new ImportException("tensor '" + enc + "patch_embed.proj.weight' has non-square patches "
                    + Arrays.toString(patch));
        }
        agree(o.embedDim(), width, "--embed-dim", enc + "patch_embed.proj.weight", patch);
        agree(o.channels(), channels, "--channels", enc + "patch_embed.proj.weight", patch);
        agree(o.patchSize(), p, "--patch-size", enc + "patch_embed.proj.weight", patch);
        int imageSize;
        long[] pos = shapes.get(enc + "pos_embed");
        if (pos != null) {
            if (pos.length != 3) {
                throw new ImportException("tensor '" + enc + "pos_embed' has shape " + Arrays.toString(pos)
                        + " but [1, N, " + width + "] was expected");
            }
            long n = pos[1];
            int grid = (int) Math.round(Math.sqrt(n));
            if ((long) grid * grid != n) {
                throw new ImportException("tensor '" + enc + "pos_embed' has " + n
                        + " positions, not a square grid (the reference has no [cls] token)");
            }
            imageSize = grid * p;
            if (o.imageSize() > 0 && o.imageSize() != imageSize) {
                throw new ImportException("--image-size " + o.imageSize() + " disagrees with tensor '" + enc
                        + "pos_embed' " + Arrays.toString(pos) + ": a " + grid + "x" + grid + " grid of " + p
                        + "-pixel patches is " + imageSize + " pixels (positions are not interpolated)");
            }
        } else if (o.imageSize() > 0) {
            imageSize = o.imageSize();
        } else {
            throw new ImportException("tensor '" + enc + "pos_embed' is missing; give --image-size");
        }
        int depth = 0;
        while (shapes.containsKey(enc + "blocks." + depth + ".norm1.weight")) {
            depth++;
        }
        if (depth == 0) {
            throw new ImportException("no encoder blocks found (expected '" + enc + "blocks.0.norm1.weight')");
        }
        agree(o.depth(), depth, "--depth", enc + "blocks.*", null);
        int mlp = (int) need(shapes, enc + "blocks.0.mlp.fc1.weight", 2)[0];
        int heads = heads(o, width);
        EncoderSpec e;
        try {
            e = new EncoderSpec(imageSize, p, channels, width, depth, heads, mlp);
        } catch (IllegalArgumentException ex) {
            throw new ImportException("the inferred encoder is not valid: " + ex.getMessage());
        }
        int predHeads = o.predHeads() > 0 ? o.predHeads() : heads;
        PredictorSpec ps;
        try {
            if (shapes.containsKey("predictor.predictor_embed.weight")) {
                int pw = (int) need(shapes, "predictor.predictor_embed.weight", 2)[0];
                int pd = 0;
                while (shapes.containsKey("predictor.predictor_blocks." + pd + ".norm1.weight")) {
                    pd++;
                }
                if (pd == 0) {
                    throw new ImportException("no predictor blocks found (expected 'predictor.predictor_blocks.0.norm1.weight')");
                }
                int pm = (int) need(shapes, "predictor.predictor_blocks.0.mlp.fc1.weight", 2)[0];
                ps = new PredictorSpec(pw, pd, predHeads, pm);
            } else {
                // no predictor in the file (a Hugging Face encoder): the reference's default shape,
                // so that the spec is complete; its weights are not imported
                MetaConfig m = MetaConfig.defaults();
                ps = new PredictorSpec(m.predEmbDim(), m.predDepth(), predHeads, 4 * m.predEmbDim());
            }
        } catch (IllegalArgumentException ex) {
            throw new ImportException("the inferred predictor is not valid: " + ex.getMessage());
        }
        return new ModelSpec(e, ps);
    }

    /** Heads from --heads, else --model-name, else the reference size of this width. */
    static int heads(ImportOptions o, int width) throws ImportException {
        if (o.modelName() != null) {
            EncoderSpec named;
            try {
                named = ModelSpec.namedEncoder(o.modelName(), 224, 14, 3);
            } catch (IllegalArgumentException ex) {
                throw new ImportException("--model-name: " + ex.getMessage());
            }
            if (named.width() != width) {
                throw new ImportException("--model-name " + o.modelName() + " has width " + named.width()
                        + " but the checkpoint's encoder width is " + width
                        + "; give --heads N (and no --model-name) for a custom size");
            }
            if (o.heads() > 0 && o.heads() != named.heads()) {
                return o.heads();
            }
            return named.heads();
        }
        if (o.heads() > 0) {
            return o.heads();
        }
        for (String name : ModelSpec.NAMES) {
            EncoderSpec named = ModelSpec.namedEncoder(name, 224, 14, 3);
            if (named.width() == width) {
                return named.heads();
            }
        }
        throw new ImportException("the number of attention heads is not stored in the weights and width " + width
                + " matches no reference size " + ModelSpec.NAMES + "; give --heads N");
    }

    /** The reference size name of this encoder width, or null. */
    public static String modelNameOfWidth(int width) {
        for (String name : ModelSpec.NAMES) {
            if (ModelSpec.namedEncoder(name, 224, 14, 3).width() == width) {
                return name;
            }
        }
        return null;
    }

    private static long[] need(Map<String, long[]> shapes, String name, int rank) throws ImportException {
        long[] s = shapes.get(name);
        if (s == null) {
            throw new ImportException("tensor '" + name + "' is missing");
        }
        if (s.length != rank) {
            throw new ImportException("tensor '" + name + "' has shape " + Arrays.toString(s) + ", expected rank " + rank);
        }
        return s;
    }

    private static void agree(int given, int inferred, String option, String tensor, long[] shape)
            throws ImportException {
        if (given > 0 && given != inferred) {
            throw new ImportException(option + " " + given + " disagrees with tensor '" + tensor + "'"
                    + (shape == null ? "" : " " + Arrays.toString(shape)) + ", which gives " + inferred);
        }
    }
}
