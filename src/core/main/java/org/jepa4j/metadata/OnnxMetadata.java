package org.jepa4j.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jepa4j.data.Preprocessing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code metadata_props} keys of a jepa4j ONNX export: written by {@code org.jepa4j.export.OnnxExporter}, read by
 * {@code infer.FeatureExtractor} so inference builds its preprocessing from the model file alone.
 * Every value is a string; lists and objects are JSON.
 */
public final class OnnxMetadata {
    private OnnxMetadata() {
    }

    /** ModelSpec JSON (as the checkpoint's {@code jepa4j.model}). */
    public static final String MODEL = "jepa4j.model";
    /** {@code target} or {@code context}: which encoder was exported. */
    public static final String ENCODER = "jepa4j.encoder";
    public static final String IMAGE_SIZE = "jepa4j.image_size";
    public static final String PATCH_SIZE = "jepa4j.patch_size";
    public static final String CHANNELS = "jepa4j.channels";
    /** JSON array, one value per channel. */
    public static final String MEAN = "jepa4j.mean";
    /** JSON array, one value per channel. */
    public static final String STD = "jepa4j.std";
    public static final String RESIZE_SIZE = "jepa4j.resize_size";
    /** Comma-separated output names in the order of the graph's outputs. */
    public static final String FEATURES = "jepa4j.features";
    /** Blocks pooled into {@code pooled_last4} (4, or depth when smaller). */
    public static final String LAST4_BLOCKS = "jepa4j.pooled_last4_blocks";
    public static final String RUN = "jepa4j.run";
    public static final String STEP = "jepa4j.step";
    public static final String CONFIG_HASH = "jepa4j.config_hash";
    public static final String VERSION = "jepa4j.version";
    public static final String SOURCE_CHECKPOINT = "jepa4j.source_checkpoint";
    public static final String SOURCE_SHA256 = "jepa4j.source_sha256";
    /** The checkpoint's provenance JSON, copied verbatim. */
    public static final String PROVENANCE = "jepa4j.provenance";
    /** The checkpoint's resolved run YAML, copied verbatim. */
    public static final String CONFIG = "jepa4j.config";

    /** Keys {@link #preprocessing} needs. */
    public static final List<String> PREPROCESSING_KEYS = List.of(IMAGE_SIZE, RESIZE_SIZE, CHANNELS, MEAN, STD);

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The preprocessing constants as metadata entries ({@link #PREPROCESSING_KEYS}). */
    public static Map<String, String> preprocessingEntries(Preprocessing p) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(IMAGE_SIZE, Integer.toString(p.imageSize()));
        m.put(RESIZE_SIZE, Integer.toString(p.resizeSize()));
        m.put(CHANNELS, Integer.toString(p.channels()));
        m.put(MEAN, jsonArray(p.mean()));
        m.put(STD, jsonArray(p.std()));
        return m;
    }


    /** The preprocessing keys absent from {@code metadata}. */
    public static List<String> missingPreprocessingKeys(Map<String, String> metadata) {
        List<String> missing = new ArrayList<>();
        for (String k : PREPROCESSING_KEYS) {
            if (!metadata.containsKey(k)) {
                missing.add(k);
            }
        }
        return missing;
    }

    /**
     * Reads the preprocessing constants back.
     *
     * @throws IllegalArgumentException naming the missing keys or the malformed value
     */
    public static Preprocessing preprocessing(Map<String, String> metadata) {
        List<String> missing = missingPreprocessingKeys(metadata);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("metadata lacks " + missing);
        }
        return new Preprocessing(intValue(metadata, IMAGE_SIZE), intValue(metadata, RESIZE_SIZE),
                intValue(metadata, CHANNELS), doubles(metadata, MEAN), doubles(metadata, STD));
    }


    static String jsonArray(double[] values) {
        var a = JSON.createArrayNode();
        for (double v : values) {
            a.add(v);
        }
        return a.toString();
    }


    private static int intValue(Map<String, String> m, String key) {
        try {
            return Integer.parseInt(m.get(key).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("metadata " + key + ": '" + m.get(key) + "' is not an integer");
        }
    }

    private static double[] doubles(Map<String, String> m, String key) {
        try {
            return doubles(JSON.readTree(m.get(key)));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata " + key + ": '" + m.get(key) + "' is not a JSON array of numbers");
        }
    }

    private static double[] doubles(JsonNode a) {
        if (!a.isArray()) {
            throw new IllegalArgumentException("expected a JSON array of numbers, got " + a);
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isNumber()) {
                throw new IllegalArgumentException("expected a JSON array of numbers, got " + a);
            }
            out[i] = a.get(i).asDouble();
        }
        return out;
    }
}
