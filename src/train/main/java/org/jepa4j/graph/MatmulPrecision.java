package org.jepa4j.graph;

import org.jepa4j.config.MetaConfig;
import org.jepa4j.provenance.CpuFeatures;
import org.jepa4j.provenance.GpuFeatures;

import java.util.List;
import java.util.Locale;

/**
 * The number format of the training graph's matrix products (docs/precision.md).
 *
 * <p>{@link #FP32}: everything in float32, the graph jepa4j always built. {@link #BF16}: each
 * Linear's input and weight are cast to bfloat16, the MatMul runs in bf16 (on Intel AMX tiles or a
 * GPU's tensor cores) and its result is cast back to float32 before the bias; master weights,
 * LayerNorm, softmax, GELU, the loss, AdamW and the EMA stay float32, as under the reference's
 * {@code torch.cuda.amp.autocast(dtype=torch.bfloat16)} ({@code src/train.py:316}).
 * {@link #BF16_ATTENTION}: as {@link #BF16}, and the two attention products ({@code Q Kᵀ} and
 * {@code softmax · V}) run in bf16 too, as they do under the reference's autocast; the softmax stays
 * float32. Not what {@code auto} picks: the attention products are a small share of a step's
 * products at the presets' sequence lengths, and whether their casts pay has not been measured on
 * hardware with bf16 units (docs/precision.md).
 */
public enum MatmulPrecision {
    /** float32 matrix products. */
    FP32,
    /** bfloat16 matrix products of every Linear, with float32 master weights and float32 everything else. */
    BF16,
    /** {@link #BF16}, and the attention products in bfloat16 too. */
    BF16_ATTENTION;

    /** Values of {@code meta.matmul_precision}, the default first. */
    public static final List<String> SETTINGS = MetaConfig.MATMUL_PRECISIONS;

    /**
     * @return the lower-case name used in configs, provenance and logs ({@code fp32}, {@code bf16},
     *         {@code bf16_attention})
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return whether the Linears' matrix products run in bfloat16 */
    public boolean linearsInBf16() {
        return this != FP32;
    }

    /** @return whether the attention products ({@code Q Kᵀ}, {@code softmax · V}) run in bfloat16 */
    public boolean attentionInBf16() {
        return this == BF16_ATTENTION;
    }

    /**
     * The precision a run uses and why.
     *
     * @param precision the chosen precision
     * @param reason    one line for the startup log: what decided it (the setting, or the CPU feature
     *                  present or missing)
     */
    public record Choice(MatmulPrecision precision, String reason) {
    }

    /**
     * Decides the precision of a run, on a GPU whose compute capability is not known.
     *
     * @see #resolve(String, boolean, CpuFeatures, boolean, GpuFeatures)
     */
    public static Choice resolve(String setting, boolean useBfloat16, CpuFeatures cpu, boolean onGpu) {
        return resolve(setting, useBfloat16, cpu, onGpu, GpuFeatures.unknown());
    }

    /**
     * Decides the precision of a run.
     *
     * <p>{@code fp32}, {@code bf16} and {@code bf16_attention} force it. {@code auto} (the default)
     * follows the reference's {@code meta.use_bfloat16} where bf16 pays: with {@code use_bfloat16: true}
     * on a GPU with bf16 tensor cores (compute capability 8.0 or later, or not known) or on a CPU with
     * AMX-BF16, bf16; anywhere else fp32 (without those units bf16 products are slower than fp32
     * ones: oneDNN's without AMX, CUDA's before Ampere), and the reason names the missing feature.
     *
     * @param setting     {@code meta.matmul_precision}: auto, fp32, bf16 or bf16_attention
     * @param useBfloat16 {@code meta.use_bfloat16}
     * @param cpu         the CPU's features ({@link CpuFeatures#host()}, injected in tests)
     * @param onGpu       whether the graph runs on a GPU
     * @param gpus        the GPUs' features ({@link GpuFeatures#host()}, injected in tests); only read
     *                    when {@code onGpu}; {@link GpuFeatures#unknown()} trusts the GPU to have the units
     * @return the choice and its reason
     * @throws IllegalArgumentException for a setting outside {@link #SETTINGS}
     */
    public static Choice resolve(String setting, boolean useBfloat16, CpuFeatures cpu, boolean onGpu,
                                 GpuFeatures gpus) {
        GpuFeatures.Gpu slowGpu = onGpu ? gpus.withoutBf16TensorCores() : null;
        switch (setting) {
            case "fp32":
                return new Choice(FP32, "fp32 (meta.matmul_precision: fp32)");
            case "bf16":
                return new Choice(BF16, "bf16 matrix products, fp32 master weights (meta.matmul_precision: bf16"
                        + forcedBf16Note(cpu, onGpu, slowGpu));
            case "bf16_attention":
                return new Choice(BF16_ATTENTION, "bf16 matrix products and attention products, fp32 master weights"
                        + " (meta.matmul_precision: bf16_attention" + forcedBf16Note(cpu, onGpu, slowGpu));
            case "auto":
                if (!useBfloat16) {
                    return new Choice(FP32, "fp32 (meta.use_bfloat16: false)");
                }
                if (onGpu && slowGpu != null) {
                    return new Choice(FP32, "fp32: meta.use_bfloat16 is set but this GPU lacks bf16 tensor cores ("
                            + slowGpu.label() + "; they come with " + GpuFeatures.BF16_TENSOR_CORES_MAJOR
                            + ".0); meta.matmul_precision: bf16 forces bf16");
                }
                if (onGpu) {
                    return new Choice(BF16, "bf16 matrix products, fp32 master weights (meta.use_bfloat16 on a GPU: "
                            + (gpus.known() ? gpus.describe() : "compute capability unknown, nvidia-smi did not answer")
                            + ")");
                }
                if (cpu.amxBf16()) {
                    return new Choice(BF16, "bf16 matrix products, fp32 master weights (meta.use_bfloat16; CPU has amx_bf16)");
                }
                return new Choice(FP32, "fp32: meta.use_bfloat16 is set but this CPU lacks amx_bf16"
                        + (cpu.avx512Bf16() ? " (it has avx512_bf16, where bf16 matrix products run slower than fp32)" : "")
                        + "; meta.matmul_precision: bf16 forces bf16");
            default:
                throw new IllegalArgumentException("meta.matmul_precision '" + setting
                        + "' is not a precision, expected one of " + SETTINGS);
        }
    }

    /** The end of a forced bf16 choice's reason: whether the hardware has bf16 units. */
    private static String forcedBf16Note(CpuFeatures cpu, boolean onGpu, GpuFeatures.Gpu slowGpu) {
        if (onGpu) {
            return slowGpu == null ? ")" : "; " + slowGpu.label() + " has no bf16 tensor cores, so bf16 runs slower than fp32)";
        }
        return cpu.amxBf16() ? ")" : "; this CPU has no amx_bf16, so bf16 runs slower than fp32)";
    }
}
