package org.jepa4j.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Typed reads of one section's raw YAML values. A missing key yields the given default; a value
 * of the wrong type records a problem (naming {@code section.key}, the value and the expected
 * type) and yields the default, so that every problem of a file is found in one pass.
 */
final class Section {

    private final String name;
    private final Map<String, Object> values;
    private final Set<String> overridden;
    private final List<String> problems;

    Section(String name, Map<String, Object> values, Set<String> overridden, List<String> problems) {
        this.name = name;
        this.values = values;
        this.overridden = overridden;
        this.problems = problems;
    }

    /** {@code section.key}, marked when the value came from {@code --set}. */
    String label(String key) {
        String full = name + "." + key;
        return overridden.contains(full) ? full + " (--set)" : full;
    }

    void problem(String key, String text) {
        problems.add(label(key) + ": " + text);
    }

    boolean has(String key) {
        return values.containsKey(key);
    }

    int integer(String key, int fallback) {
        long v = longInteger(key, fallback);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            problem(key, v + " is out of range, expected a 32-bit integer");
            return fallback;
        }
        return (int) v;
    }

    long longInteger(String key, long fallback) {
        if (!values.containsKey(key)) {
            return fallback;
        }
        Object v = values.get(key);
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        problem(key, describe(v) + ", expected an integer");
        return fallback;
    }

    double number(String key, double fallback) {
        if (!values.containsKey(key)) {
            return fallback;
        }
        Object v = values.get(key);
        if (isNumber(v)) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                problem(key, describe(v) + ", expected a finite number");
                return fallback;
            }
            return d;
        }
        problem(key, describe(v) + ", expected a number");
        return fallback;
    }

    boolean bool(String key, boolean fallback) {
        if (!values.containsKey(key)) {
            return fallback;
        }
        Object v = values.get(key);
        if (v instanceof Boolean b) {
            return b;
        }
        problem(key, describe(v) + ", expected true or false");
        return fallback;
    }

    /** A string; numbers and booleans are taken as their text; null only when {@code nullable}. */
    String string(String key, String fallback, boolean nullable) {
        if (!values.containsKey(key)) {
            return fallback;
        }
        Object v = values.get(key);
        if (v == null) {
            if (nullable) {
                return null;
            }
            problem(key, "null, expected a string");
            return fallback;
        }
        if (v instanceof String || v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        problem(key, describe(v) + ", expected a string");
        return fallback;
    }

    /** A two-element list {@code [min, max]} with min <= max. */
    Range range(String key, Range fallback) {
        if (!values.containsKey(key)) {
            return fallback;
        }
        List<Double> xs = numberList(key, null, "a list of two numbers [min, max]");
        if (xs == null) {
            return fallback;
        }
        if (xs.size() != 2) {
            problem(key, show(values.get(key)) + " has " + xs.size() + " elements, expected two numbers [min, max]");
            return fallback;
        }
        if (xs.get(0) > xs.get(1)) {
            problem(key, show(values.get(key)) + " has min > max, expected [min, max] with min <= max");
            return fallback;
        }
        return Range.of(xs.get(0), xs.get(1));
    }

    /** A list of numbers of any length. */
    List<Double> numbers(String key, List<Double> fallback) {
        if (!values.containsKey(key)) {
            return fallback;
        }
        List<Double> xs = numberList(key, fallback, "a list of numbers");
        return xs == null ? fallback : xs;
    }

    private List<Double> numberList(String key, List<Double> fallback, String expected) {
        Object v = values.get(key);
        if (!(v instanceof List<?> list)) {
            problem(key, describe(v) + ", expected " + expected);
            return null;
        }
        List<Double> out = new ArrayList<>();
        for (Object x : list) {
            if (!isNumber(x)) {
                problem(key, show(v) + " contains " + describe(x) + ", expected " + expected);
                return null;
            }
            double d = ((Number) x).doubleValue();
            if (!Double.isFinite(d)) {
                problem(key, show(v) + " contains " + describe(x) + ", expected finite numbers");
                return null;
            }
            out.add(d);
        }
        return out;
    }

    /** Records a problem unless {@code v >= 1}; returns {@code v}. */
    int positive(String key, int v) {
        positive(key, (long) v);
        return v;
    }

    /** Records a problem unless {@code v >= 1}; returns {@code v}. */
    long positive(String key, long v) {
        if (v < 1) {
            problem(key, v + " is not allowed, expected at least 1");
        }
        return v;
    }

    /** Records a problem unless {@code v >= 0}; returns {@code v}. */
    int nonNegative(String key, int v) {
        nonNegative(key, (long) v);
        return v;
    }

    /**
     * Records a problem when {@code v} is above {@code max} (a bound from memory or sense, so that a
     * huge value is one clear line instead of an out-of-memory error); returns {@code v}.
     */
    int atMost(String key, int v, long max, String what) {
        if (v > max) {
            problem(key, v + " is too large, expected at most " + max + " " + what);
        }
        return v;
    }

    /** Records a problem unless {@code v >= 0}; returns {@code v}. */
    long nonNegative(String key, long v) {
        if (v < 0) {
            problem(key, v + " is negative, expected 0 or more");
        }
        return v;
    }

    /** Records a problem unless {@code v >= 0} (NaN is a problem); returns {@code v}. */
    double notNegative(String key, double v) {
        if (v < 0 || Double.isNaN(v)) {
            problem(key, v + " is negative, expected 0 or more");
        }
        return v;
    }

    /** Records a problem unless {@code r} is a range of area fractions, 0 < min <= max <= 1; returns {@code r}. */
    Range fraction(String key, Range r) {
        if (!(r.min() > 0) || r.max() > 1) {
            problem(key, r + " is outside (0, 1], expected area fractions 0 < min <= max <= 1");
        }
        return r;
    }

    /**
     * A string that must be one of {@code allowed}; otherwise records
     * {@code 'v' is not <what>, expected one of [...]}. Returns the value read.
     */
    String oneOf(String key, String fallback, List<String> allowed, String what) {
        String v = string(key, fallback, false);
        if (!allowed.contains(v)) {
            problem(key, "'" + v + "' is not " + what + ", expected one of " + allowed);
        }
        return v;
    }

    private static boolean isNumber(Object v) {
        return v instanceof Integer || v instanceof Long || v instanceof Double || v instanceof Float
                || v instanceof java.math.BigInteger;
    }

    /** The value with its YAML type, for messages: {@code 'abc' (a string)}. */
    static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        String type;
        if (v instanceof String) {
            type = "a string";
        } else if (v instanceof Boolean) {
            type = "a boolean";
        } else if (v instanceof Double || v instanceof Float) {
            type = "a float";
        } else if (v instanceof Number) {
            type = "an integer";
        } else if (v instanceof List) {
            type = "a list";
        } else if (v instanceof Map) {
            type = "a mapping";
        } else {
            type = "a " + v.getClass().getSimpleName().toLowerCase(Locale.ROOT);
        }
        return show(v) + " (" + type + ")";
    }

    /** The value as YAML flow text: strings quoted, lists in brackets. */
    static String show(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "'" + s + "'";
        }
        if (v instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            for (Object x : list) {
                parts.add(show(x));
            }
            return "[" + String.join(", ", parts) + "]";
        }
        return String.valueOf(v);
    }
}
