package org.jepa4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * The evaluation transform's constants, recorded in exported models so serving builds exactly
 * the transform training used: resize the shorter side to {@code resizeSize}, centre-crop
 * {@code imageSize x imageSize}, convert to {@code channels}, normalise with {@code mean}/{@code std}.
 *
 * @param imageSize  model input height and width
 * @param resizeSize shorter side after resizing, before the centre crop ({@code >= imageSize})
 * @param channels   model input channels (1 or 3)
 * @param mean       per-channel mean ({@code channels} values)
 * @param std        per-channel standard deviation ({@code channels} values, positive)
 */
public record Preprocessing(int imageSize, int resizeSize, int channels, double[] mean, double[] std) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Preprocessing {
        if (imageSize <= 0 || resizeSize < imageSize) {
            throw new IllegalArgumentException("preprocessing needs 0 < imageSize (" + imageSize
                    + ") <= resizeSize (" + resizeSize + ")");
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("mean " + Arrays.toString(mean) + " and std " + Arrays.toString(std)
                    + " need " + channels + " values each");
        }
        for (double s : std) {
            if (!(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException("std values must be positive and finite: " + Arrays.toString(std));
            }
        }
        for (double m : mean) {
            if (!Double.isFinite(m)) {
                throw new IllegalArgumentException("mean values must be finite: " + Arrays.toString(mean));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * The evaluation transform of a run's {@code data} section, the one derivation every command
     * uses: centre crop of {@code crop_size} without margin (resize size = crop size),
     * {@code channels}, {@code mean}, {@code std}.
     *
     * @throws IllegalArgumentException naming the keys when mean/std do not have one value per channel
     */
    public static Preprocessing of(DataSettings data) {
        int c = data.channels();
        if (data.mean().size() != c || data.std().size() != c) {
            throw new IllegalArgumentException("config data.mean " + data.mean() + " and data.std " + data.std()
                    + " need " + c + " values each (data.channels is " + c + ")");
        }
        return new Preprocessing(data.cropSize(), data.cropSize(), c, toArray(data.mean()), toArray(data.std()));
    }

    private static double[] toArray(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * The JSON a checkpoint stores under {@code jepa4j.preprocessing}: {@code image_size},
     * {@code resize_size}, {@code channels}, {@code mean}, {@code std} (the one spelling jepa4j writes).
     */
    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("image_size", imageSize).put("resize_size", resizeSize).put("channels", channels);
        var m = n.putArray("mean");
        for (double v : mean) {
            m.add(v);
        }
        var s = n.putArray("std");
        for (double v : std) {
            s.add(v);
        }
        return n.toString();
    }

    /**
     * Reads {@link #toJson()}; checkpoints written before its spelling was fixed used camelCase
     * ({@code imageSize}, {@code resizeSize}), which is read too.
     *
     * @throws IllegalArgumentException naming the missing or malformed field
     */
    public static Preprocessing fromJson(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("preprocessing is not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("preprocessing is not a JSON object: " + json);
        }
        return new Preprocessing(field(n, "image_size", "imageSize").asInt(), field(n, "resize_size", "resizeSize").asInt(),
                field(n, "channels", "channels").asInt(), numbers(field(n, "mean", "mean")), numbers(field(n, "std", "std")));
    }

    private static JsonNode field(JsonNode n, String name, String legacy) {
        JsonNode v = n.has(name) ? n.get(name) : n.get(legacy);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("preprocessing JSON lacks '" + name + "': " + n);
        }
        if (!name.equals("mean") && !name.equals("std") && !v.canConvertToInt()) {
            throw new IllegalArgumentException("preprocessing JSON '" + name + "': expected an integer, got " + v);
        }
        return v;
    }

    private static double[] numbers(JsonNode a) {
        if (!a.isArray()) {
            throw new IllegalArgumentException("preprocessing JSON: expected an array of numbers, got " + a);
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isNumber()) {
                throw new IllegalArgumentException("preprocessing JSON: expected an array of numbers, got " + a);
            }
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && imageSize == p.imageSize && resizeSize == p.resizeSize
                && channels == p.channels && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * imageSize + resizeSize) + channels + Arrays.hashCode(mean) * 7 + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Preprocessing[size " + imageSize + ", resize " + resizeSize + ", channels " + channels + ", mean "
                + Arrays.toString(mean) + ", std " + Arrays.toString(std) + "]";
    }
}
