package org.jepa4j.config;

import org.jepa4j.model.InitScheme;
import org.jepa4j.model.ModelSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code meta} section (docs/reference.md §7.1), plus jepa4j's model and runtime keys. Built
 * with {@link #builder()}; read from a run file by {@link #parse} and written back by
 * {@link #yamlValues} (a new key: its name in {@link ConfigKeys}, the rest here).
 *
 * @param copyData        {@code copy_data}; ignored on the JVM
 * @param loadCheckpoint  {@code load_checkpoint}: resume from {@code read_checkpoint} or the run's latest
 * @param modelName       {@code model_name}: vit_tiny ... vit_giant (sizes of §2)
 * @param predDepth       {@code pred_depth}
 * @param predEmbDim      {@code pred_emb_dim}
 * @param readCheckpoint  {@code read_checkpoint}: checkpoint file to resume from, or null
 * @param useBfloat16     {@code use_bfloat16}: bf16 matrix products where the hardware has the units for them
 *                        (AMX-BF16, or a GPU of compute capability 8.0+), under {@code matmul_precision: auto}
 * @param seed            jepa4j {@code seed}: initialisation, data order, crops and masks (default 0)
 * @param embedDim        jepa4j {@code embed_dim}: overrides the named model's width (0 = keep)
 * @param depth           jepa4j {@code depth}: overrides the named model's depth (0 = keep)
 * @param numHeads        jepa4j {@code num_heads}: overrides the named model's heads (0 = keep)
 * @param mlpRatio        jepa4j {@code mlp_ratio}: MLP hidden = ratio·width (0 = the named model's)
 * @param predNumHeads    jepa4j {@code pred_num_heads}: predictor heads (0 = the encoder's, as the reference)
 * @param loss            jepa4j {@code loss}: {@code smooth_l1} (reference, beta 1) or {@code l2}
 * @param intraOpThreads  jepa4j {@code intra_op_threads}: TensorFlow intra-op threads (0 = TF default)
 * @param interOpThreads  jepa4j {@code inter_op_threads}: TensorFlow inter-op threads (0 = TF default)
 * @param towers          jepa4j {@code towers}: copies of the training pass, each on a slice of the batch,
 *                        that TensorFlow runs side by side; the same step up to float rounding (default 1)
 * @param collectiveTimeoutS jepa4j {@code collective_timeout_s}: in a multi-worker run, seconds a
 *                        collective (the gradient all-reduce, the start-up broadcast) waits for the other
 *                        workers before the run stops; above the cluster's start-up gap (default 300)
 * @param towerDevices    jepa4j {@code tower_devices}: {@code none} (every tower on the one device, the
 *                        default), {@code cpu} (tower i on {@code /device:CPU:i}) or {@code gpu} (tower i
 *                        on {@code /device:GPU:i}, one tower per GPU)
 * @param target          jepa4j {@code target}: what the predictor predicts, {@code features} (the
 *                        reference: the target encoder's normalised features) or {@code pixels} (the
 *                        paper's pixel-space ablation: each target patch's pixels, no target encoder, no EMA)
 * @param pixelNorm       jepa4j {@code pixel_norm}: with {@code target: pixels}, normalise each patch's
 *                        pixels to zero mean and unit variance before the loss, as MAE's
 *                        {@code norm_pix_loss} (default true; ignored for features)
 * @param init            jepa4j {@code patch_embed_init}, {@code pos_embed_scale} and
 *                        {@code pred_pos_embed_scale}: the patch-embedding draw and the position tables'
 *                        scale at initialisation (default the reference's: trunc_normal, 1, 1)
 * @param matmulPrecision jepa4j {@code matmul_precision}: {@code auto} (the default: bf16 when
 *                        {@code use_bfloat16} is set and the hardware has bf16 matrix units, else fp32),
 *                        {@code fp32}, {@code bf16} (every Linear) or {@code bf16_attention} (every
 *                        Linear and the attention products), forced; docs/precision.md
 */
public record MetaConfig(boolean copyData, boolean loadCheckpoint, String modelName, int predDepth, int predEmbDim,
                         String readCheckpoint, boolean useBfloat16, long seed, int embedDim, int depth,
                         int numHeads, double mlpRatio, int predNumHeads, String loss, int intraOpThreads,
                         int interOpThreads, int towers, double collectiveTimeoutS, String towerDevices,
                         String target, boolean pixelNorm, InitScheme init, String matmulPrecision) {
    /** Most transformer blocks of the encoder or the predictor. */
    static final int MAX_DEPTH = 1024;
    /** Most channels (and heads) of the encoder or the predictor. */
    static final int MAX_WIDTH = 16_384;
    /** Largest MLP hidden width as a multiple of the model width. */
    static final double MAX_MLP_RATIO = 64;


    /** Values of {@code meta.matmul_precision}, the default first. */
    public static final List<String> MATMUL_PRECISIONS = List.of("auto", "fp32", "bf16", "bf16_attention");

    public MetaConfig {
        if (init == null) {
            throw new IllegalArgumentException("meta init scheme must be given (InitScheme.reference() for the reference's)");
        }
        if (!MATMUL_PRECISIONS.contains(matmulPrecision)) {
            throw new IllegalArgumentException("meta.matmul_precision '" + matmulPrecision
                    + "' is not a precision, expected one of " + MATMUL_PRECISIONS);
        }
    }

    /** Default of {@code meta.collective_timeout_s}: well above a cluster's start-up gap. */
    public static final double DEFAULT_COLLECTIVE_TIMEOUT_S = 300;

    /** Values of {@code meta.tower_devices}. */
    public static final List<String> TOWER_DEVICES = List.of("none", "cpu", "gpu");

    /** Values of the official in1k_vith14_ep300 config, plus jepa4j defaults for the extra keys. */
    public static MetaConfig defaults() {
        return builder().build();
    }

    /** A builder holding {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this section's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Reads the section's keys (absent keys keep their defaults), recording each problem in {@code s}. */
    static MetaConfig parse(Section s) {
        MetaConfig m = defaults();
        Builder b = m.toBuilder();
        b.copyData(s.bool("copy_data", m.copyData()));
        b.loadCheckpoint(s.bool("load_checkpoint", m.loadCheckpoint()));
        String modelName = s.string("model_name", m.modelName(), false);
        if (!ModelSpec.NAMES.contains(modelName.toLowerCase(Locale.ROOT))) {
            s.problem("model_name", "'" + modelName + "' is not a model name, expected one of " + ModelSpec.NAMES);
        }
        b.modelName(modelName);
        b.predDepth(s.atMost("pred_depth", s.positive("pred_depth", s.integer("pred_depth", m.predDepth())), MAX_DEPTH,
                "blocks (ViT-g has 40)"));
        b.predEmbDim(s.atMost("pred_emb_dim", s.positive("pred_emb_dim", s.integer("pred_emb_dim", m.predEmbDim())),
                MAX_WIDTH, "channels (ViT-g has 1408)"));
        b.readCheckpoint(s.string("read_checkpoint", m.readCheckpoint(), true));
        b.useBfloat16(s.bool("use_bfloat16", m.useBfloat16()));
        b.seed(s.longInteger("seed", m.seed()));
        b.embedDim(s.atMost("embed_dim", s.nonNegative("embed_dim", s.integer("embed_dim", m.embedDim())), MAX_WIDTH,
                "channels (ViT-g has 1408)"));
        b.depth(s.atMost("depth", s.nonNegative("depth", s.integer("depth", m.depth())), MAX_DEPTH, "blocks (ViT-g has 40)"));
        b.numHeads(s.atMost("num_heads", s.nonNegative("num_heads", s.integer("num_heads", m.numHeads())), MAX_WIDTH, "heads"));
        double mlpRatio = s.number("mlp_ratio", m.mlpRatio());
        if (mlpRatio < 0) {
            s.problem("mlp_ratio", mlpRatio + " is negative, expected 0 (the named model's) or a positive ratio");
        } else if (mlpRatio > MAX_MLP_RATIO) {
            s.problem("mlp_ratio", mlpRatio + " is too large, expected at most " + MAX_MLP_RATIO + " (the reference's is 4)");
        }
        b.mlpRatio(mlpRatio);
        b.predNumHeads(s.atMost("pred_num_heads", s.nonNegative("pred_num_heads", s.integer("pred_num_heads",
                m.predNumHeads())), MAX_WIDTH, "heads"));
        b.loss(s.oneOf("loss", m.loss(), ConfigKeys.LOSSES, "a loss"));
        b.intraOpThreads(s.nonNegative("intra_op_threads", s.integer("intra_op_threads", m.intraOpThreads())));
        b.interOpThreads(s.nonNegative("inter_op_threads", s.integer("inter_op_threads", m.interOpThreads())));
        b.towers(s.positive("towers", s.integer("towers", m.towers())));
        double collectiveTimeout = s.number("collective_timeout_s", m.collectiveTimeoutS());
        if (!(collectiveTimeout > 0)) {
            s.problem("collective_timeout_s", collectiveTimeout + " is not positive, expected seconds > 0 that a"
                    + " multi-worker step waits for the other workers");
        }
        b.collectiveTimeoutS(collectiveTimeout);
        b.towerDevices(s.oneOf("tower_devices", m.towerDevices(), TOWER_DEVICES, "a placement"));
        b.target(s.oneOf("target", m.target(), ConfigKeys.TARGETS, "a prediction target"));
        b.pixelNorm(s.bool("pixel_norm", m.pixelNorm()));
        String patchEmbedInit = s.string("patch_embed_init", m.init().patchEmbedding(), false);
        if (!InitScheme.PATCH_EMBEDDINGS.contains(patchEmbedInit)) {
            s.problem("patch_embed_init", "'" + patchEmbedInit + "' is not an initialisation, expected one of "
                    + InitScheme.PATCH_EMBEDDINGS);
            patchEmbedInit = InitScheme.TRUNC_NORMAL;
        }
        double posScale = positionScale(s, "pos_embed_scale", m.init().positionScale());
        double predPosScale = positionScale(s, "pred_pos_embed_scale", m.init().predictorPositionScale());
        b.init(new InitScheme(patchEmbedInit, posScale, predPosScale));
        String matmulPrecision = s.oneOf("matmul_precision", m.matmulPrecision(), MATMUL_PRECISIONS,
                "a precision (auto: bf16 where use_bfloat16 is set and the hardware has bf16 matrix units)");
        b.matmulPrecision(MATMUL_PRECISIONS.contains(matmulPrecision) ? matmulPrecision : m.matmulPrecision());
        return b.build();
    }

    /** A position table's scale: finite and >= 0 (0 removes the table). */
    private static double positionScale(Section s, String key, double fallback) {
        double v = s.number(key, fallback);
        if (!(Double.isFinite(v) && v >= 0)) {
            s.problem(key, v + " is not a scale, expected a finite number >= 0 that multiplies the sin-cos table"
                    + " (1 = the reference)");
            return fallback;
        }
        return v;
    }

    /** Every key's value as the writer emits it. */
    Map<String, Object> yamlValues() {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("copy_data", copyData);
        meta.put("load_checkpoint", loadCheckpoint);
        meta.put("model_name", modelName);
        meta.put("pred_depth", predDepth);
        meta.put("pred_emb_dim", predEmbDim);
        meta.put("read_checkpoint", readCheckpoint);
        meta.put("use_bfloat16", useBfloat16);
        meta.put("collective_timeout_s", collectiveTimeoutS);
        meta.put("depth", depth);
        meta.put("embed_dim", embedDim);
        meta.put("inter_op_threads", interOpThreads);
        meta.put("intra_op_threads", intraOpThreads);
        meta.put("loss", loss);
        meta.put("matmul_precision", matmulPrecision);
        meta.put("mlp_ratio", mlpRatio);
        meta.put("num_heads", numHeads);
        meta.put("patch_embed_init", init.patchEmbedding());
        meta.put("pixel_norm", pixelNorm);
        meta.put("pos_embed_scale", init.positionScale());
        meta.put("pred_pos_embed_scale", init.predictorPositionScale());
        meta.put("pred_num_heads", predNumHeads);
        meta.put("seed", seed);
        meta.put("target", target);
        meta.put("tower_devices", towerDevices);
        meta.put("towers", towers);
        return meta;
    }

    /** Builds a {@code meta} section; starts from {@link #defaults()}, each setter names its key. */
    public static final class Builder {
        private boolean copyData = false;
        private boolean loadCheckpoint = false;
        private String modelName = "vit_huge";
        private int predDepth = 12;
        private int predEmbDim = 384;
        private String readCheckpoint = null;
        private boolean useBfloat16 = true;
        private long seed = 0L;
        private int embedDim = 0;
        private int depth = 0;
        private int numHeads = 0;
        private double mlpRatio = 0.0;
        private int predNumHeads = 0;
        private String loss = "smooth_l1";
        private int intraOpThreads = 0;
        private int interOpThreads = 0;
        private int towers = 1;
        private double collectiveTimeoutS = DEFAULT_COLLECTIVE_TIMEOUT_S;
        private String towerDevices = "none";
        private String target = ConfigKeys.TARGET_FEATURES;
        private boolean pixelNorm = true;
        private InitScheme init = InitScheme.reference();
        private String matmulPrecision = MATMUL_PRECISIONS.get(0);

        private Builder() {
        }

        private Builder(MetaConfig m) {
            copyData = m.copyData;
            loadCheckpoint = m.loadCheckpoint;
            modelName = m.modelName;
            predDepth = m.predDepth;
            predEmbDim = m.predEmbDim;
            readCheckpoint = m.readCheckpoint;
            useBfloat16 = m.useBfloat16;
            seed = m.seed;
            embedDim = m.embedDim;
            depth = m.depth;
            numHeads = m.numHeads;
            mlpRatio = m.mlpRatio;
            predNumHeads = m.predNumHeads;
            loss = m.loss;
            intraOpThreads = m.intraOpThreads;
            interOpThreads = m.interOpThreads;
            towers = m.towers;
            collectiveTimeoutS = m.collectiveTimeoutS;
            towerDevices = m.towerDevices;
            target = m.target;
            pixelNorm = m.pixelNorm;
            init = m.init;
            matmulPrecision = m.matmulPrecision;
        }

        /** @param v {@code matmul_precision}: auto, fp32 or bf16 @return this builder */
        public Builder matmulPrecision(String v) {
            matmulPrecision = v;
            return this;
        }

        /** @param v {@code copy_data} @return this builder */
        public Builder copyData(boolean v) {
            copyData = v;
            return this;
        }

        /** @param v {@code load_checkpoint} @return this builder */
        public Builder loadCheckpoint(boolean v) {
            loadCheckpoint = v;
            return this;
        }

        /** @param v {@code model_name} @return this builder */
        public Builder modelName(String v) {
            modelName = v;
            return this;
        }

        /** @param v {@code pred_depth} @return this builder */
        public Builder predDepth(int v) {
            predDepth = v;
            return this;
        }

        /** @param v {@code pred_emb_dim} @return this builder */
        public Builder predEmbDim(int v) {
            predEmbDim = v;
            return this;
        }

        /** @param v {@code read_checkpoint}, or null @return this builder */
        public Builder readCheckpoint(String v) {
            readCheckpoint = v;
            return this;
        }

        /** @param v {@code use_bfloat16} @return this builder */
        public Builder useBfloat16(boolean v) {
            useBfloat16 = v;
            return this;
        }

        /** @param v {@code seed} @return this builder */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** @param v {@code embed_dim} (0 = the named model's) @return this builder */
        public Builder embedDim(int v) {
            embedDim = v;
            return this;
        }

        /** @param v {@code depth} (0 = the named model's) @return this builder */
        public Builder depth(int v) {
            depth = v;
            return this;
        }

        /** @param v {@code num_heads} (0 = the named model's) @return this builder */
        public Builder numHeads(int v) {
            numHeads = v;
            return this;
        }

        /** @param v {@code mlp_ratio} (0 = the named model's) @return this builder */
        public Builder mlpRatio(double v) {
            mlpRatio = v;
            return this;
        }

        /** @param v {@code pred_num_heads} (0 = the encoder's) @return this builder */
        public Builder predNumHeads(int v) {
            predNumHeads = v;
            return this;
        }

        /** @param v {@code loss}: smooth_l1 or l2 @return this builder */
        public Builder loss(String v) {
            loss = v;
            return this;
        }

        /** @param v {@code intra_op_threads} (0 = TensorFlow's default) @return this builder */
        public Builder intraOpThreads(int v) {
            intraOpThreads = v;
            return this;
        }

        /** @param v {@code inter_op_threads} (0 = TensorFlow's default) @return this builder */
        public Builder interOpThreads(int v) {
            interOpThreads = v;
            return this;
        }

        /** @param v {@code towers} @return this builder */
        public Builder towers(int v) {
            towers = v;
            return this;
        }

        /** @param v {@code collective_timeout_s} @return this builder */
        public Builder collectiveTimeoutS(double v) {
            collectiveTimeoutS = v;
            return this;
        }

        /** @param v {@code tower_devices}: none, cpu or gpu @return this builder */
        public Builder towerDevices(String v) {
            towerDevices = v;
            return this;
        }

        /** @param v {@code target}: features or pixels @return this builder */
        public Builder target(String v) {
            target = v;
            return this;
        }

        /** @param v {@code pixel_norm} @return this builder */
        public Builder pixelNorm(boolean v) {
            pixelNorm = v;
            return this;
        }

        /** @param v {@code patch_embed_init}, {@code pos_embed_scale}, {@code pred_pos_embed_scale} @return this builder */
        public Builder init(InitScheme v) {
            init = v;
            return this;
        }

        /** @return the section */
        public MetaConfig build() {
            return new MetaConfig(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint,
                    useBfloat16, seed, embedDim, depth, numHeads, mlpRatio, predNumHeads, loss, intraOpThreads,
                    interOpThreads, towers, collectiveTimeoutS, towerDevices, target, pixelNorm, init, matmulPrecision);
        }
    }
}
