package org.jepa4j.config;

import org.jepa4j.model.InitScheme;

/**
 * The {@code meta} section (docs/reference.md §7.1), plus jepa4j's model and runtime keys.
 *
 * @param copyData        {@code copy_data}; ignored on the JVM
 * @param loadCheckpoint  {@code load_checkpoint}: resume from {@code read_checkpoint} or the run's latest
 * @param modelName       {@code model_name}: vit_tiny ... vit_giant (sizes of §2)
 * @param predDepth       {@code pred_depth}
 * @param predEmbDim      {@code pred_emb_dim}
 * @param readCheckpoint  {@code read_checkpoint}: checkpoint file to resume from, or null
 * @param useBfloat16     {@code use_bfloat16}: bf16 matrix products where the hardware has the units for them
 *                        (AMX-BF16 or a GPU), under {@code matmul_precision: auto}
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
 *                        {@code fp32} or {@code bf16} (forced); docs/precision.md
 */
public record MetaConfig(boolean copyData, boolean loadCheckpoint, String modelName, int predDepth, int predEmbDim,
                         String readCheckpoint, boolean useBfloat16, long seed, int embedDim, int depth,
                         int numHeads, double mlpRatio, int predNumHeads, String loss, int intraOpThreads,
                         int interOpThreads, int towers, double collectiveTimeoutS, String towerDevices,
                         String target, boolean pixelNorm, InitScheme init, String matmulPrecision) {

    /** Values of {@code meta.matmul_precision}, the default first. */
    public static final java.util.List<String> MATMUL_PRECISIONS = java.util.List.of("auto", "fp32", "bf16");

    public MetaConfig {
        if (init == null) {
            throw new IllegalArgumentException("meta init scheme must be given (InitScheme.reference() for the reference's)");
        }
        if (!MATMUL_PRECISIONS.contains(matmulPrecision)) {
            throw new IllegalArgumentException("meta.matmul_precision '" + matmulPrecision
                    + "' is not a precision, expected one of " + MATMUL_PRECISIONS);
        }
    }

    /** The keys without {@code matmul_precision} (auto). */
    public MetaConfig(boolean copyData, boolean loadCheckpoint, String modelName, int predDepth, int predEmbDim,
                      String readCheckpoint, boolean useBfloat16, long seed, int embedDim, int depth, int numHeads,
                      double mlpRatio, int predNumHeads, String loss, int intraOpThreads, int interOpThreads,
                      int towers, double collectiveTimeoutS, String towerDevices, String target, boolean pixelNorm,
                      InitScheme init) {
        this(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint, useBfloat16, seed, embedDim,
                depth, numHeads, mlpRatio, predNumHeads, loss, intraOpThreads, interOpThreads, towers,
                collectiveTimeoutS, towerDevices, target, pixelNorm, init, MATMUL_PRECISIONS.get(0));
    }

    /** The keys without the initialisation keys (the reference's initialisation). */
    public MetaConfig(boolean copyData, boolean loadCheckpoint, String modelName, int predDepth, int predEmbDim,
                      String readCheckpoint, boolean useBfloat16, long seed, int embedDim, int depth, int numHeads,
                      double mlpRatio, int predNumHeads, String loss, int intraOpThreads, int interOpThreads,
                      int towers, double collectiveTimeoutS, String towerDevices, String target, boolean pixelNorm) {
        this(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint, useBfloat16, seed, embedDim,
                depth, numHeads, mlpRatio, predNumHeads, loss, intraOpThreads, interOpThreads, towers,
                collectiveTimeoutS, towerDevices, target, pixelNorm, InitScheme.reference());
    }

    /** Default of {@code meta.collective_timeout_s}: well above a cluster's start-up gap. */
    public static final double DEFAULT_COLLECTIVE_TIMEOUT_S = 300;

    /** Values of {@code meta.tower_devices}. */
    public static final java.util.List<String> TOWER_DEVICES = java.util.List.of("none", "cpu", "gpu");

    /** The keys without {@code target} and {@code pixel_norm} (features, the reference's target). */
    public MetaConfig(boolean copyData, boolean loadCheckpoint, String modelName, int predDepth, int predEmbDim,
                      String readCheckpoint, boolean useBfloat16, long seed, int embedDim, int depth, int numHeads,
                      double mlpRatio, int predNumHeads, String loss, int intraOpThreads, int interOpThreads,
                      int towers, double collectiveTimeoutS, String towerDevices) {
        this(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint, useBfloat16, seed, embedDim,
                depth, numHeads, mlpRatio, predNumHeads, loss, intraOpThreads, interOpThreads, towers,
                collectiveTimeoutS, towerDevices, ConfigKeys.TARGET_FEATURES, true);
    }

    /** The keys without {@code tower_devices} (none), {@code target} and {@code pixel_norm}. */
    public MetaConfig(boolean copyData, boolean loadCheckpoint, String modelName, int predDepth, int predEmbDim,
                      String readCheckpoint, boolean useBfloat16, long seed, int embedDim, int depth, int numHeads,
                      double mlpRatio, int predNumHeads, String loss, int intraOpThreads, int interOpThreads,
                      int towers, double collectiveTimeoutS) {
        this(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint, useBfloat16, seed, embedDim,
                depth, numHeads, mlpRatio, predNumHeads, loss, intraOpThreads, interOpThreads, towers,
                collectiveTimeoutS, "none");
    }

    /** The keys without {@code collective_timeout_s} (its default), {@code tower_devices}, {@code target}, {@code pixel_norm}. */
    public MetaConfig(boolean copyData, boolean loadCheckpoint, String modelName, int predDepth, int predEmbDim,
                      String readCheckpoint, boolean useBfloat16, long seed, int embedDim, int depth, int numHeads,
                      double mlpRatio, int predNumHeads, String loss, int intraOpThreads, int interOpThreads,
                      int towers) {
        this(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint, useBfloat16, seed, embedDim,
                depth, numHeads, mlpRatio, predNumHeads, loss, intraOpThreads, interOpThreads, towers,
                DEFAULT_COLLECTIVE_TIMEOUT_S, "none");
    }

    public static MetaConfig defaults() {
        return new MetaConfig(false, false, "vit_huge", 12, 384, null, true, 0L, 0, 0, 0, 0.0, 0, "smooth_l1", 0, 0, 1);
    }

    /** This section with another {@code target} and {@code pixel_norm}. */
    public MetaConfig withTarget(String newTarget, boolean newPixelNorm) {
        return new MetaConfig(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint, useBfloat16,
                seed, embedDim, depth, numHeads, mlpRatio, predNumHeads, loss, intraOpThreads, interOpThreads, towers,
                collectiveTimeoutS, towerDevices, newTarget, newPixelNorm, init, matmulPrecision);
    }

    /** This section with another initialisation scheme. */
    public MetaConfig withInit(InitScheme newInit) {
        return new MetaConfig(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint, useBfloat16,
                seed, embedDim, depth, numHeads, mlpRatio, predNumHeads, loss, intraOpThreads, interOpThreads, towers,
                collectiveTimeoutS, towerDevices, target, pixelNorm, newInit, matmulPrecision);
    }

    /** This section with {@code use_bfloat16} and {@code matmul_precision} replaced. */
    public MetaConfig withPrecision(boolean newUseBfloat16, String newMatmulPrecision) {
        return new MetaConfig(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint, newUseBfloat16,
                seed, embedDim, depth, numHeads, mlpRatio, predNumHeads, loss, intraOpThreads, interOpThreads, towers,
                collectiveTimeoutS, towerDevices, target, pixelNorm, init, newMatmulPrecision);
    }
}
