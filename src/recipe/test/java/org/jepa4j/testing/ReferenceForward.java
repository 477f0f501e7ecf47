package org.jepa4j.testing;

import org.apache.commons.math3.special.Erf;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.PredictorSpec;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

/**
 * A plain-Java, double-precision forward pass of the reference's encoder, predictor and loss
 * (docs/reference.md §2–§4), written for clarity, not speed: the independent oracle that the
 * TensorFlow graphs, the ONNX export and the importer are tested against.
 *
 * <p>Tensors are the checkpoint's, with part prefixes ({@code encoder.}, {@code target_encoder.},
 * {@code predictor.}) and the official names/shapes. Pixels are {@code [B, C, H, W]} row-major.
 */
public final class ReferenceForward {
    private final ModelSpec spec;
    private final NamedTensors tensors;

    public ReferenceForward(ModelSpec spec, NamedTensors tensors) {
        this.spec = spec;
        this.tensors = tensors;
    }

    /** Patch embedding plus positions: {@code [B][N][D]} (before any masking). */
    public double[][][] embed(String part, float[] pixels, int batch) {
        EncoderSpec e = spec.encoder();
        int d = e.width();
        int p = e.patchSize();
        int g = e.gridSize();
        int c = e.channels();
        int s = e.imageSize();
        float[] w = t(part + "patch_embed.proj.weight").data(); // [D, C, p, p]
        float[] bias = t(part + "patch_embed.proj.bias").data();
        float[] pos = t(part + "pos_embed").data(); // [1, N, D]
        double[][][] out = new double[batch][g * g][d];
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < g; r++) {
                for (int col = 0; col < g; col++) {
                    int n = r * g + col;
                    for (int o = 0; o < d; o++) {
                        double acc = bias[o];
                        for (int ch = 0; ch < c; ch++) {
                            for (int i = 0; i < p; i++) {
                                for (int j = 0; j < p; j++) {
                                    double x = pixels[((b * c + ch) * s + r * p + i) * s + col * p + j];
                                    acc += w[((o * c + ch) * p + i) * p + j] * x;
                                }
                            }
                        }
                        out[b][n][o] = acc + pos[n * d + o];
                    }
                }
            }
        }
        return out;
    }

    /**
     * Encoder output after the final LayerNorm for the kept tokens of each mask, masks
     * concatenated along the batch as the reference's {@code apply_masks}: {@code [M·B][K][D]}.
     *
     * @param masks {@code [M][B][K]} kept token indices, or null for all tokens (then {@code [B][N][D]})
     */
    public double[][][] encode(String part, float[] pixels, int batch, int[][][] masks) {
        double[][][] x = gatherMasks(embed(part, pixels, batch), masks);
        EncoderSpec e = spec.encoder();
        for (int l = 0; l < e.depth(); l++) {
            x = block(part + "blocks." + l + ".", x, e.heads());
        }
        return layerNorm(x, t(part + "norm.weight").data(), t(part + "norm.bias").data(), EncoderSpec.NORM_EPS);
    }

    /** Every block's output (before the final norm) for all tokens: {@code [depth][B][N][D]}. */
    public double[][][][] blockOutputs(String part, float[] pixels, int batch) {
        EncoderSpec e = spec.encoder();
        double[][][][] outs = new double[e.depth()][][][];
        double[][][] x = embed(part, pixels, batch);
        for (int l = 0; l < e.depth(); l++) {
            x = block(part + "blocks." + l + ".", x, e.heads());
            outs[l] = x;
        }
        return outs;
    }

    /** Mean over tokens: {@code [B][N][D] -> [B][D]}. */
    public static double[][] meanPool(double[][][] x) {
        double[][] out = new double[x.length][x[0][0].length];
        for (int b = 0; b < x.length; b++) {
            for (double[] tok : x[b]) {
                for (int i = 0; i < tok.length; i++) {
                    out[b][i] += tok[i] / x[b].length;
                }
            }
        }
        return out;
    }

    /**
     * The {@code pooled_last4} feature: final LayerNorm applied to each of the last four blocks'
     * outputs (all blocks when depth &lt; 4), mean over tokens, concatenated in block order.
     */
    public double[][] pooledLast4(String part, float[] pixels, int batch) {
        double[][][][] outs = blockOutputs(part, pixels, batch);
        int depth = outs.length;
        int k = Math.min(4, depth);
        int d = spec.encoder().width();
        double[][] out = new double[batch][k * d];
        for (int j = 0; j < k; j++) {
            double[][][] normed = layerNorm(outs[depth - k + j], t(part + "norm.weight").data(),
                    t(part + "norm.bias").data(), EncoderSpec.NORM_EPS);
            double[][] pooled = meanPool(normed);
            for (int b = 0; b < batch; b++) {
                System.arraycopy(pooled[b], 0, out[b], j * d, d);
            }
        }
        return out;
    }

    /**
     * The predictor (§3): context tokens {@code [nenc·B][Kc][D]} (the context encoder's output),
     * context masks {@code [nenc][B][Kc]}, target masks {@code [npred][B][Kt]}; returns
     * {@code [npred·nenc·B][Kt][D]}, row {@code m·nenc·B + c·B + b}.
     */
    public double[][][] predict(double[][][] contextTokens, int[][][] contextMasks, int[][][] targetMasks) {
        PredictorSpec p = spec.predictor();
        int pw = p.width();
        int nenc = contextMasks.length;
        int npred = targetMasks.length;
        int batch = contextMasks[0].length;
        int kc = contextMasks[0][0].length;
        int kt = targetMasks[0][0].length;
        float[] pos = t("predictor.predictor_pos_embed").data(); // [1, N, P]
        float[] maskToken = t("predictor.mask_token").data();
        double[][][] ctx = linear(contextTokens, t("predictor.predictor_embed.weight").data(),
                t("predictor.predictor_embed.bias").data(), pw);
        for (int c = 0; c < nenc; c++) {
            for (int b = 0; b < batch; b++) {
                for (int k = 0; k < kc; k++) {
                    int n = contextMasks[c][b][k];
                    for (int i = 0; i < pw; i++) {
                        ctx[c * batch + b][k][i] += pos[n * pw + i];
                    }
                }
            }
        }
        int rows = npred * nenc * batch;
        double[][][] seq = new double[rows][kc + kt][];
        for (int m = 0; m < npred; m++) {
            for (int c = 0; c < nenc; c++) {
                for (int b = 0; b < batch; b++) {
                    int r = m * nenc * batch + c * batch + b;
                    for (int k = 0; k < kc; k++) {
                        seq[r][k] = ctx[c * batch + b][k].clone();
                    }
                    for (int k = 0; k < kt; k++) {
                        int n = targetMasks[m][b][k];
                        double[] tok = new double[pw];
                        for (int i = 0; i < pw; i++) {
                            tok[i] = maskToken[i] + pos[n * pw + i];
                        }
                        seq[r][kc + k] = tok;
                    }
                }
            }
        }
        double[][][] x = seq;
        for (int l = 0; l < p.depth(); l++) {
            x = block("predictor.predictor_blocks." + l + ".", x, p.heads());
        }
        x = layerNorm(x, t("predictor.predictor_norm.weight").data(), t("predictor.predictor_norm.bias").data(),
                EncoderSpec.NORM_EPS);
        double[][][] tail = new double[rows][kt][];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < kt; k++) {
                tail[r][k] = x[r][kc + k];
            }
        }
        return linear(tail, t("predictor.predictor_proj.weight").data(), t("predictor.predictor_proj.bias").data(),
                spec.encoder().width());
    }

    /**
     * The training loss (§4): target = non-affine LayerNorm (eps 1e-5) of the target encoder's
     * full output, gathered per target block and repeated per context mask; smooth-L1 (beta 1) or
     * squared error, mean over all elements.
     */
    public double loss(float[] pixels, int batch, int[][][] contextMasks, int[][][] targetMasks, boolean smoothL1) {
        double[][][] ctx = encode("encoder.", pixels, batch, contextMasks);
        double[][][] pred = predict(ctx, contextMasks, targetMasks);
        double[][][] target = targetFeatures(pixels, batch, targetMasks, contextMasks.length);
        return lossBetween(pred, target, smoothL1);
    }

    /** Targets for the loss: {@code [npred·nenc·B][Kt][D]}, the same row order as {@link #predict}. */
    public double[][][] targetFeatures(float[] pixels, int batch, int[][][] targetMasks, int nenc) {
        double[][][] h = layerNormNoAffine(encode("target_encoder.", pixels, batch, null), 1e-5);
        int npred = targetMasks.length;
        int kt = targetMasks[0][0].length;
        double[][][] out = new double[npred * nenc * batch][kt][];
        for (int m = 0; m < npred; m++) {
            for (int c = 0; c < nenc; c++) {
                for (int b = 0; b < batch; b++) {
                    for (int k = 0; k < kt; k++) {
                        out[m * nenc * batch + c * batch + b][k] = h[b][targetMasks[m][b][k]].clone();
                    }
                }
            }
        }
        return out;
    }

    /**
     * The pixel-target loss: the predictor's outputs through {@code predictor.pixel_head} against
     * each target patch's pixels (channel, row, column order), normalised per patch with the
     * unbiased variance and eps 1e-6 when {@code normalize}; smooth-L1 or squared error, mean
     * over all elements.
     */
    public double pixelLoss(float[] pixels, int batch, int[][][] contextMasks, int[][][] targetMasks, boolean smoothL1,
                            boolean normalize) {
        double[][][] ctx = encode("encoder.", pixels, batch, contextMasks);
        double[][][] pred = pixelPredictions(predict(ctx, contextMasks, targetMasks));
        return lossBetween(pred, pixelTargets(pixels, batch, targetMasks, contextMasks.length, normalize), smoothL1);
    }

    /** Predictor outputs {@code [R][Kt][D]} through the pixel head: {@code [R][Kt][C·p·p]}. */
    public double[][][] pixelPredictions(double[][][] predicted) {
        EncoderSpec e = spec.encoder();
        return linear(predicted, t("predictor.pixel_head.weight").data(), t("predictor.pixel_head.bias").data(),
                e.channels() * e.patchSize() * e.patchSize());
    }

    /** Pixel targets {@code [npred·nenc·B][Kt][C·p·p]} in the row order of {@link #predict}. */
    public double[][][] pixelTargets(float[] pixels, int batch, int[][][] targetMasks, int nenc, boolean normalize) {
        EncoderSpec e = spec.encoder();
        int c = e.channels();
        int p = e.patchSize();
        int g = e.gridSize();
        int s = e.imageSize();
        int npred = targetMasks.length;
        int kt = targetMasks[0][0].length;
        double[][][] out = new double[npred * nenc * batch][kt][];
        for (int m = 0; m < npred; m++) {
            for (int b = 0; b < batch; b++) {
                for (int k = 0; k < kt; k++) {
                    int n = targetMasks[m][b][k];
                    int r = n / g;
                    int col = n % g;
                    double[] v = new double[c * p * p];
                    for (int ch = 0; ch < c; ch++) {
                        for (int i = 0; i < p; i++) {
                            for (int j = 0; j < p; j++) {
                                v[(ch * p + i) * p + j] = pixels[((b * c + ch) * s + r * p + i) * s + col * p + j];
                            }
                        }
                    }
                    if (normalize) {
                        double mean = 0;
                        for (double x : v) {
                            mean += x;
                        }
                        mean /= v.length;
                        double ss = 0;
                        for (double x : v) {
                            ss += (x - mean) * (x - mean);
                        }
                        double sd = Math.sqrt(ss / (v.length - 1) + 1e-6);
                        for (int i = 0; i < v.length; i++) {
                            v[i] = (v[i] - mean) / sd;
                        }
                    }
                    for (int ctxMask = 0; ctxMask < nenc; ctxMask++) {
                        out[m * nenc * batch + ctxMask * batch + b][k] = v.clone();
                    }
                }
            }
        }
        return out;
    }

    /** Mean smooth-L1 (beta 1) or mean squared error between equally shaped arrays. */
    public static double lossBetween(double[][][] z, double[][][] h, boolean smoothL1) {
        double sum = 0;
        long n = 0;
        for (int r = 0; r < z.length; r++) {
            for (int k = 0; k < z[r].length; k++) {
                for (int i = 0; i < z[r][k].length; i++) {
                    double d = z[r][k][i] - h[r][k][i];
                    double a = Math.abs(d);
                    sum += smoothL1 ? (a < 1 ? 0.5 * d * d : a - 0.5) : d * d;
                    n++;
                }
            }
        }
        return sum / n;
    }

    /** LayerNorm over the last dimension without affine parameters. */
    public static double[][][] layerNormNoAffine(double[][][] x, double eps) {
        return layerNorm(x, null, null, eps);
    }

    private static double[][][] gatherMasks(double[][][] x, int[][][] masks) {
        if (masks == null) {
            return x;
        }
        int batch = x.length;
        double[][][] out = new double[masks.length * batch][][];
        for (int m = 0; m < masks.length; m++) {
            for (int b = 0; b < batch; b++) {
                int[] idx = masks[m][b];
                double[][] rows = new double[idx.length][];
                for (int k = 0; k < idx.length; k++) {
                    rows[k] = x[b][idx[k]].clone();
                }
                out[m * batch + b] = rows;
            }
        }
        return out;
    }

    private double[][][] block(String prefix, double[][][] x, int heads) {
        int d = x[0][0].length;
        double[][][] h = layerNorm(x, t(prefix + "norm1.weight").data(), t(prefix + "norm1.bias").data(),
                EncoderSpec.NORM_EPS);
        double[][][] qkv = linear(h, t(prefix + "attn.qkv.weight").data(), t(prefix + "attn.qkv.bias").data(), 3 * d);
        double[][][] att = attention(qkv, heads, d);
        double[][][] proj = linear(att, t(prefix + "attn.proj.weight").data(), t(prefix + "attn.proj.bias").data(), d);
        double[][][] x1 = add(x, proj);
        double[][][] h2 = layerNorm(x1, t(prefix + "norm2.weight").data(), t(prefix + "norm2.bias").data(),
                EncoderSpec.NORM_EPS);
        int hidden = t(prefix + "mlp.fc1.bias").data().length;
        double[][][] f1 = linear(h2, t(prefix + "mlp.fc1.weight").data(), t(prefix + "mlp.fc1.bias").data(), hidden);
        for (double[][] row : f1) {
            for (double[] tok : row) {
                for (int i = 0; i < tok.length; i++) {
                    tok[i] = 0.5 * tok[i] * (1 + Erf.erf(tok[i] / Math.sqrt(2))); // exact GELU
                }
            }
        }
        double[][][] f2 = linear(f1, t(prefix + "mlp.fc2.weight").data(), t(prefix + "mlp.fc2.bias").data(), d);
        return add(x1, f2);
    }

    /** Multi-head softmax attention; qkv channels are ordered [3][heads][headDim] as the reference reshapes them. */
    private static double[][][] attention(double[][][] qkv, int heads, int d) {
        int hd = d / heads;
        double scale = 1.0 / Math.sqrt(hd);
        double[][][] out = new double[qkv.length][][];
        for (int b = 0; b < qkv.length; b++) {
            int n = qkv[b].length;
            double[][] o = new double[n][d];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    double[] logits = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int k = 0; k < hd; k++) {
                            s += qkv[b][i][h * hd + k] * qkv[b][j][d + h * hd + k];
                        }
                        logits[j] = s * scale;
                        max = Math.max(max, logits[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < n; j++) {
                        logits[j] = Math.exp(logits[j] - max);
                        z += logits[j];
                    }
                    for (int j = 0; j < n; j++) {
                        double a = logits[j] / z;
                        for (int k = 0; k < hd; k++) {
                            o[i][h * hd + k] += a * qkv[b][j][2 * d + h * hd + k];
                        }
                    }
                }
            }
            out[b] = o;
        }
        return out;
    }

    /** {@code y = x Wᵀ + b} with a PyTorch weight {@code [out, in]}. */
    private static double[][][] linear(double[][][] x, float[] w, float[] bias, int outDim) {
        int in = x[0][0].length;
        double[][][] y = new double[x.length][][];
        for (int b = 0; b < x.length; b++) {
            y[b] = new double[x[b].length][outDim];
            for (int n = 0; n < x[b].length; n++) {
                double[] xi = x[b][n];
                double[] yo = y[b][n];
                for (int o = 0; o < outDim; o++) {
                    double acc = bias[o];
                    int base = o * in;
                    for (int i = 0; i < in; i++) {
                        acc += w[base + i] * xi[i];
                    }
                    yo[o] = acc;
                }
            }
        }
        return y;
    }

    private static double[][][] layerNorm(double[][][] x, float[] gamma, float[] beta, double eps) {
        double[][][] y = new double[x.length][][];
        for (int b = 0; b < x.length; b++) {
            y[b] = new double[x[b].length][];
            for (int n = 0; n < x[b].length; n++) {
                double[] v = x[b][n];
                double mean = 0;
                for (double a : v) {
                    mean += a;
                }
                mean /= v.length;
                double var = 0;
                for (double a : v) {
                    var += (a - mean) * (a - mean);
                }
                var /= v.length; // biased, as torch
                double inv = 1.0 / Math.sqrt(var + eps);
                double[] o = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    double z = (v[i] - mean) * inv;
                    o[i] = gamma == null ? z : z * gamma[i] + beta[i];
                }
                y[b][n] = o;
            }
        }
        return y;
    }

    private static double[][][] add(double[][][] a, double[][][] b) {
        double[][][] out = new double[a.length][][];
        for (int i = 0; i < a.length; i++) {
            out[i] = new double[a[i].length][];
            for (int j = 0; j < a[i].length; j++) {
                out[i][j] = new double[a[i][j].length];
                for (int k = 0; k < a[i][j].length; k++) {
                    out[i][j][k] = a[i][j][k] + b[i][j][k];
                }
            }
        }
        return out;
    }

    private FloatTensor t(String name) {
        return tensors.get(name);
    }

    /** Flattens {@code [R][K][D]} row-major to floats (for comparisons with graph outputs). */
    public static float[] flatten(double[][][] x) {
        int n = 0;
        for (double[][] r : x) {
            for (double[] k : r) {
                n += k.length;
            }
        }
        float[] out = new float[n];
        int i = 0;
        for (double[][] r : x) {
            for (double[] k : r) {
                for (double v : k) {
                    out[i++] = (float) v;
                }
            }
        }
        return out;
    }
}
