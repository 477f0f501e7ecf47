package org.jepa4j.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The key layout of a run file: the five sections of the reference's YAML files, each with the
 * official keys (docs/reference.md §7.1, in the order the shipped files list them) followed by
 * jepa4j's own keys. The loader accepts exactly these keys; the writer emits them in this order.
 */
public final class ConfigKeys {

    /** Sections in the order of the shipped files. */
    public static final List<String> SECTIONS = List.of("data", "logging", "mask", "meta", "optimization");

    /** Official keys per section, sorted as in the shipped files (§7.1). */
    public static final Map<String, List<String>> OFFICIAL = Map.of(
            "data", List.of("batch_size", "color_jitter_strength", "crop_scale", "crop_size", "image_folder",
                    "num_workers", "pin_mem", "root_path", "use_color_distortion", "use_gaussian_blur",
                    "use_horizontal_flip"),
            "logging", List.of("folder", "write_tag"),
            "mask", List.of("allow_overlap", "aspect_ratio", "enc_mask_scale", "min_keep", "num_enc_masks",
                    "num_pred_masks", "patch_size", "pred_mask_scale"),
            "meta", List.of("copy_data", "load_checkpoint", "model_name", "pred_depth", "pred_emb_dim",
                    "read_checkpoint", "use_bfloat16"),
            "optimization", List.of("ema", "epochs", "final_lr", "final_weight_decay", "ipe_scale", "lr",
                    "start_lr", "warmup", "weight_decay"));

    /** jepa4j's extra keys per section, sorted alphabetically (meaning: the section records' Javadoc). */
    public static final Map<String, List<String>> EXTRA = Map.of(
            "data", List.of("channels", "eval_source", "limit", "max_pixels", "mean", "prefetch", "source", "std"),
            "logging", List.of("checkpoint_freq", "log_every"),
            "mask", List.of("cover_edges", "strategy", "truncation"),
            "meta", List.of("collective_timeout_s", "depth", "embed_dim", "inter_op_threads", "intra_op_threads", "loss",
                    "mlp_ratio", "num_heads", "patch_embed_init", "pixel_norm", "pos_embed_scale", "pred_num_heads",
                    "pred_pos_embed_scale", "seed", "target", "tower_devices", "towers"),
            "optimization", List.of("eval_every", "max_steps", "probe_every"));

    /** Mask strategies accepted by {@code mask.strategy}. */
    public static final List<String> MASK_STRATEGIES = List.of("multiblock", "random", "block", "rasterized");

    /** Values of {@code mask.truncation}, the reference's first. */
    public static final List<String> MASK_TRUNCATIONS = List.of("first", "random");

    /** {@code meta.target} of the reference: the target encoder's normalised features. */
    public static final String TARGET_FEATURES = "features";
    /** {@code meta.target} of the paper's pixel-space ablation: each target patch's pixels. */
    public static final String TARGET_PIXELS = "pixels";
    /** Prediction targets accepted by {@code meta.target}, the reference's first. */
    public static final List<String> TARGETS = List.of(TARGET_FEATURES, TARGET_PIXELS);

    /** Losses accepted by {@code meta.loss}. */
    public static final List<String> LOSSES = List.of("smooth_l1", "l2");

    private ConfigKeys() {
    }

    /** Official then extra keys of {@code section}; empty for an unknown section. */
    public static List<String> keys(String section) {
        List<String> all = new ArrayList<>(OFFICIAL.getOrDefault(section, List.of()));
        all.addAll(EXTRA.getOrDefault(section, List.of()));
        return all;
    }

    /** Whether {@code key} is an official or jepa4j key of {@code section}. */
    public static boolean isKnown(String section, String key) {
        return keys(section).contains(key);
    }

    /** The section that declares {@code key}, if any. */
    public static Optional<String> sectionOf(String key) {
        return SECTIONS.stream().filter(s -> isKnown(s, key)).findFirst();
    }

    /** The candidate closest to {@code word} by edit distance, if close enough to be a likely typo. */
    public static Optional<String> closest(String word, List<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = editDistance(word, c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        int allowed = Math.max(2, word.length() / 3);
        return bestDistance <= allowed ? Optional.ofNullable(best) : Optional.empty();
    }

    /** Levenshtein distance (insertions, deletions, substitutions cost 1). */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
