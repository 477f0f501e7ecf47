package org.jepa4j.config;

import org.jepa4j.io.AtomicFiles;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a resolved {@link RunConfig} as YAML in the reference's layout: sections and official
 * keys in the order of the shipped files (docs/reference.md §7.1), block-style lists, floats as
 * PyYAML prints them ({@code 1.0e-06}); then, in each section, jepa4j's keys after a comment.
 * Reading the output with {@link RunConfigLoader} gives an equal {@code RunConfig}.
 */
public final class RunConfigWriter {

    private RunConfigWriter() {
    }

    /** The config as YAML text. */
    public static String toYaml(RunConfig config) {
        Map<String, Map<String, Object>> values = values(config);
        StringBuilder out = new StringBuilder();
        for (String section : ConfigKeys.SECTIONS) {
            Map<String, Object> keys = values.get(section);
            out.append(section).append(":\n");
            for (String key : ConfigKeys.OFFICIAL.get(section)) {
                entry(out, key, keys.get(key));
            }
            out.append("  # jepa4j\n");
            for (String key : ConfigKeys.EXTRA.get(section)) {
                entry(out, key, keys.get(key));
            }
        }
        return out.toString();
    }

    /** Writes {@link #toYaml} to {@code file} atomically (temporary file in the same folder, then rename). */
    public static void write(RunConfig config, Path file) throws IOException {
        AtomicFiles.writeString(file, toYaml(config));
    }

    /** Every key's value by section, as Java values (Integer, Long, Double, Boolean, String, Range, List). */
    static Map<String, Map<String, Object>> values(RunConfig c) {
        Map<String, Map<String, Object>> v = new LinkedHashMap<>();
        v.put("data", c.data().yamlValues());
        v.put("logging", c.logging().yamlValues());
        v.put("mask", c.mask().yamlValues());
        v.put("meta", c.meta().yamlValues());
        v.put("optimization", c.optimization().yamlValues());
        return v;
    }

    private static void entry(StringBuilder out, String key, Object value) {
        out.append("  ").append(key).append(':');
        if (value instanceof Range r) {
            out.append('\n').append("  - ").append(scalar(r.min())).append('\n')
                    .append("  - ").append(scalar(r.max())).append('\n');
        } else if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                out.append(" []\n");
                return;
            }
            out.append('\n');
            for (Object x : list) {
                out.append("  - ").append(scalar(x)).append('\n');
            }
        } else {
            out.append(' ').append(scalar(value)).append('\n');
        }
    }

    /** One YAML scalar: null, booleans, integers, floats as PyYAML writes them, strings quoted only when needed. */
    static String scalar(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double d) {
            return pythonFloat(d);
        }
        if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            return v.toString();
        }
        DumperOptions options = new DumperOptions();
        options.setWidth(Integer.MAX_VALUE);
        options.setSplitLines(false);
        return new Yaml(options).dump(v.toString()).stripTrailing();
    }

    /**
     * A float as PyYAML writes it: Python's shortest repr, positional for decimal exponents in
     * [-4, 16), scientific otherwise with a mantissa that always has a fraction ({@code 1.0e-06}).
     */
    static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return ".nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? ".inf" : "-.inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = b.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - b.scale();
        String sign = d < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = b.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.charAt(0) + "." + (digits.length() > 1 ? digits.substring(1) : "0");
        String exp = String.format("%02d", Math.abs(exponent));
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
    }
}
