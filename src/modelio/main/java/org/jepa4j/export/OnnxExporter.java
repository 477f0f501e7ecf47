package org.jepa4j.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.metadata.OnnxMetadata;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.onnx.OnnxProto.GraphProto;
import org.jepa4j.onnx.OnnxProto.ModelProto;
import org.jepa4j.onnx.OnnxProto.OperatorSetId;
import org.jepa4j.onnx.OnnxProto;
import org.jepa4j.onnx.OnnxWriter.ExternalData;
import org.jepa4j.onnx.OnnxWriter;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.provenance.Version;
import org.jepa4j.tensor.NamedTensors;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Exports a frozen encoder of a jepa4j checkpoint to ONNX ({@link EncoderOnnxGraph}), with the
 * evaluation preprocessing and provenance in {@code metadata_props} ({@link OnnxMetadata}).
 */
public final class OnnxExporter {
    /** ONNX IR version 8 pairs with opset 17 and is the newest Debian's onnx 1.12 checker accepts. */
    public static final long DEFAULT_IR_VERSION = 8;
    public static final int DEFAULT_OPSET = 17;

    private static final ObjectMapper JSON = new ObjectMapper();

    private OnnxExporter() {
    }

    /** Which encoder of the checkpoint to export. */
    public enum Encoder {
        /** The EMA target encoder, the one the paper evaluates (§8). */
        TARGET(ParameterNames.TARGET_ENCODER),
        /** The context encoder. */
        CONTEXT(ParameterNames.ENCODER);

        private final String prefix;

        Encoder(String prefix) {
            this.prefix = prefix;
        }

        public String prefix() {
            return prefix;
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Encoder parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("encoder '" + s + "': expected target or context");
            }
        }
    }

    /**
     * Export options.
     *
     * @param encoder      which encoder to export
     * @param opset        ONNX opset ({@value EncoderOnnxGraph#MIN_OPSET}..{@value EncoderOnnxGraph#MAX_OPSET})
     * @param irVersion    ONNX IR version written to the model
     * @param externalData when to put initializers into {@code <name>.onnx.data}
     * @param precision    {@code fp32} (default) or {@code int8}: the blocks' Linears as integer matrix
     *                     products ({@link OnnxMetadata#PRECISIONS}; docs/precision.md)
     * @param int8Scale    for int8, what one activation scale covers: {@code token} (default) or {@code image}
     */
    public record Options(Encoder encoder, int opset, long irVersion, ExternalData externalData, String precision,
                          String int8Scale) {
        public Options {
            if (!OnnxMetadata.PRECISIONS.contains(precision)) {
                throw new IllegalArgumentException("export precision '" + precision + "' is not supported, expected"
                        + " one of " + OnnxMetadata.PRECISIONS);
            }
            if (!OnnxMetadata.INT8_ACTIVATION_SCALES.contains(int8Scale)) {
                throw new IllegalArgumentException("int8 activation scale '" + int8Scale + "' is not supported,"
                        + " expected one of " + OnnxMetadata.INT8_ACTIVATION_SCALES);
            }
        }

        /** float32. */
        public Options(Encoder encoder, int opset, long irVersion, ExternalData externalData) {
            this(encoder, opset, irVersion, externalData, OnnxMetadata.PRECISIONS.get(0),
                    OnnxMetadata.INT8_ACTIVATION_SCALES.get(0));
        }

        public static Options defaults() {
            return new Options(Encoder.TARGET, DEFAULT_OPSET, DEFAULT_IR_VERSION, ExternalData.AUTO);
        }

        public Options withEncoder(Encoder e) {
            return new Options(e, opset, irVersion, externalData, precision, int8Scale);
        }

        public Options withOpset(int o) {
            return new Options(encoder, o, irVersion, externalData, precision, int8Scale);
        }

        public Options withIrVersion(long ir) {
            return new Options(encoder, opset, ir, externalData, precision, int8Scale);
        }

        public Options withExternalData(ExternalData x) {
            return new Options(encoder, opset, irVersion, x, precision, int8Scale);
        }

        /** These options with another precision ({@code fp32} or {@code int8}). */
        public Options withPrecision(String p) {
            return new Options(encoder, opset, irVersion, externalData, p, int8Scale);
        }

        /** These options with another int8 activation scale ({@code token} or {@code image}). */
        public Options withInt8Scale(String scale) {
            return new Options(encoder, opset, irVersion, externalData, precision, scale);
        }
    }

    /**
     * Reads a checkpoint (file or run folder) and writes its encoder to {@code out}.
     *
     * @throws IOException              naming the checkpoint or output file
     * @throws IllegalArgumentException naming a missing tensor, metadata key or inconsistent value
     */
    public static OnnxWriter.Written export(Path checkpointOrRunDir, Path out, Options options) throws IOException {
        return export(checkpointOrRunDir, out, options, null);
    }

    /**
     * As {@link #export(Path, Path, Options)}; a checkpoint without checksums is exported with a
     * warning on {@code acceptUnchecked} when that is not null, else refused.
     */
    public static OnnxWriter.Written export(Path checkpointOrRunDir, Path out, Options options,
                                            java.io.PrintStream acceptUnchecked) throws IOException {
        Path file = Checkpoint.resolve(checkpointOrRunDir);
        Checkpoint ckpt = Checkpoint.read(file, acceptUnchecked);
        ModelSpec spec = ckpt.modelSpec();
        NamedTensors weights = ckpt.part(options.encoder().prefix());
        if (weights.size() == 0) {
            throw new IllegalArgumentException(file + ": checkpoint has no '" + options.encoder().prefix()
                    + "' tensors (the " + options.encoder().label() + " encoder)");
        }
        Preprocessing pre = preprocessingOf(ckpt, file);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(OnnxMetadata.MODEL, ckpt.meta(Checkpoint.MODEL));
        meta.put(OnnxMetadata.ENCODER, options.encoder().label());
        meta.putAll(provenance(ckpt, checkpointOrRunDir, file));
        ModelProto model = model(spec.encoder(), weights, pre, meta, options);
        return OnnxWriter.write(model, out, options.externalData());
    }

    /**
     * The ONNX model of one encoder with preprocessing metadata plus {@code extraMetadata}.
     *
     * @param weights encoder state dict without part prefix
     * @throws IllegalArgumentException naming the tensor when a weight is NaN or infinite (nothing is
     *                                  exported that could only give non-finite features)
     */
    public static ModelProto model(EncoderSpec spec, NamedTensors weights, Preprocessing pre,
                                   Map<String, String> extraMetadata, Options options) {
        String nonFinite = Checkpoint.firstNonFinite(weights);
        if (nonFinite != null) {
            throw new IllegalArgumentException("encoder weights: " + nonFinite + ": expected finite weights; nothing"
                    + " is exported");
        }
        if (pre.imageSize() != spec.imageSize() || pre.channels() != spec.channels()) {
            throw new IllegalArgumentException("preprocessing " + pre + " does not fit the encoder (image size "
                    + spec.imageSize() + ", channels " + spec.channels() + ")");
        }
        GraphProto graph = EncoderOnnxGraph.build(spec, weights, options.opset(), options.precision(),
                options.int8Scale());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(OnnxMetadata.PATCH_SIZE, Integer.toString(spec.patchSize()));
        meta.put(OnnxMetadata.PRECISION, options.precision());
        if (options.precision().equals("int8")) {
            meta.put(OnnxMetadata.INT8_ACTIVATION_SCALE, options.int8Scale());
        }
        meta.putAll(OnnxMetadata.preprocessingEntries(pre));
        meta.put(OnnxMetadata.FEATURES, String.join(",", EncoderOnnxGraph.LAST_HIDDEN_STATE,
                EncoderOnnxGraph.POOLED, EncoderOnnxGraph.POOLED_LAST4));
        meta.put(OnnxMetadata.LAST4_BLOCKS, Integer.toString(EncoderOnnxGraph.last4Blocks(spec)));
        meta.put(OnnxMetadata.VERSION, Version.current());
        meta.putAll(extraMetadata);
        return new ModelProto(options.irVersion(), List.of(new OperatorSetId("", options.opset())), "jepa4j",
                Version.current(), "org.jepa4j", 1, "I-JEPA frozen encoder exported by jepa4j", graph,
                OnnxProto.entries(meta));
    }

    /**
     * The evaluation preprocessing of a checkpoint: its {@code jepa4j.preprocessing} JSON, else derived
     * from the {@code jepa4j.config} YAML keys {@code data.crop_size}, {@code data.channels},
     * {@code data.mean}, {@code data.std} (resize size = crop size: centre crop without margin).
     *
     * @throws IllegalArgumentException naming the checkpoint and the missing keys
     */
    public static Preprocessing preprocessingOf(Checkpoint ckpt, Path file) {
        String json = ckpt.meta(Checkpoint.PREPROCESSING);
        if (json != null) {
            try {
                return Preprocessing.fromJson(json);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": metadata " + Checkpoint.PREPROCESSING + ": " + e.getMessage(), e);
            }
        }
        String yaml = ckpt.meta(Checkpoint.CONFIG);
        if (yaml == null) {
            throw new IllegalArgumentException(file + ": checkpoint has neither " + Checkpoint.PREPROCESSING
                    + " nor " + Checkpoint.CONFIG + " metadata; cannot record the preprocessing in the export");
        }
        Object root = new Yaml().load(yaml);
        Object data = root instanceof Map<?, ?> m ? m.get("data") : null;
        Map<?, ?> d = data instanceof Map<?, ?> dm ? dm : Map.of();
        List<String> missing = new ArrayList<>();
        for (String k : List.of("crop_size", "mean", "std")) {
            if (d.get(k) == null) {
                missing.add("data." + k);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(file + ": no " + Checkpoint.PREPROCESSING + " metadata and the "
                    + Checkpoint.CONFIG + " YAML lacks " + missing);
        }
        // the keys alone, not the whole run config: a checkpoint's config may predate keys added since
        int crop = ((Number) d.get("crop_size")).intValue();
        int channels = d.get("channels") instanceof Number c ? c.intValue() : ckpt.modelSpec().encoder().channels();
        return new Preprocessing(crop, crop, channels, numbers(d.get("mean"), "data.mean"), numbers(d.get("std"), "data.std"));
    }

    private static double[] numbers(Object o, String key) {
        if (!(o instanceof List<?> list)) {
            throw new IllegalArgumentException("config " + key + ": expected a list of numbers, got " + o);
        }
        double[] out = new double[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number n)) {
                throw new IllegalArgumentException("config " + key + ": expected a list of numbers, got " + o);
            }
            out[i] = n.doubleValue();
        }
        return out;
    }


    /** Run, step, config hash, source checkpoint and its SHA-256, plus the verbatim provenance and config. */
    static Map<String, String> provenance(Checkpoint ckpt, Path argument, Path file) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        String provJson = ckpt.meta(Checkpoint.PROVENANCE);
        Provenance prov = provJson == null ? null : Provenance.parse(provJson);
        JsonNode state = json(ckpt.meta(Checkpoint.STATE));
        String run = prov == null ? null : prov.runFolder();
        if (run == null) {
            // a run folder's checkpoint lives in <run>/checkpoints/
            Path parent = file.toAbsolutePath().getParent();
            run = parent != null && parent.getFileName() != null && parent.getFileName().toString().equals(Checkpoint.FOLDER)
                    && parent.getParent() != null ? parent.getParent().toString() : "";
        }
        m.put(OnnxMetadata.RUN, run);
        String step = text(state, "step", "global_step", "iteration");
        m.put(OnnxMetadata.STEP, step == null ? "" : step);
        String config = ckpt.meta(Checkpoint.CONFIG);
        String hash = prov == null ? null : prov.configSha256();
        if (hash == null && config != null) {
            hash = sha256(config.getBytes(StandardCharsets.UTF_8));
        }
        m.put(OnnxMetadata.CONFIG_HASH, hash == null ? "" : hash);
        m.put(OnnxMetadata.SOURCE_CHECKPOINT, file.toAbsolutePath().normalize().toString());
        m.put(OnnxMetadata.SOURCE_SHA256, sha256(file));
        if (ckpt.meta(Checkpoint.PROVENANCE) != null) {
            m.put(OnnxMetadata.PROVENANCE, ckpt.meta(Checkpoint.PROVENANCE));
        }
        if (config != null) {
            m.put(OnnxMetadata.CONFIG, config);
        }
        return m;
    }

    private static JsonNode json(String s) {
        if (s == null) {
            return null;
        }
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            return null;
        }
    }

    private static String text(JsonNode n, String... keys) {
        if (n == null) {
            return null;
        }
        for (String k : keys) {
            JsonNode v = n.get(k);
            if (v != null && !v.isNull() && !v.isContainerNode()) {
                return v.asText();
            }
        }
        return null;
    }

    /** Hex SHA-256 of a file, streamed. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
