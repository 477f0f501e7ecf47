package org.jepa4j.provenance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CPU's instruction-set flags that decide which precision runs fast here: the matrix units
 * (Intel AMX tiles for bf16 and int8) and the vector extensions (AVX-512 bf16 and VNNI). Read once
 * from {@code /proc/cpuinfo} by {@link #host()}; tests inject flags with {@link #of}.
 *
 * <p>Without AMX, TensorFlow's oneDNN runs a bf16 MatMul slower than fp32 (about 0.6x on an AMD
 * EPYC with AVX512_BF16), so bf16 training pays only where {@link #amxBf16()} holds
 * (docs/precision.md).
 *
 * @param flags the lower-case flags as {@code /proc/cpuinfo} spells them ({@code amx_bf16}, {@code avx512_bf16} ...)
 */
public record CpuFeatures(Set<String> flags) {
    /** The flags recorded in provenance and benchmark headers: the ones that decide precision. */
    public static final List<String> PRECISION_FLAGS = List.of("amx_bf16", "amx_int8", "amx_tile", "avx512_bf16",
            "avx512_vnni", "avx_vnni", "avx512f", "avx2");

    /** Read once, when first asked (the lazy holder idiom: no mutable static state). */
    private static final class Host {
        static final CpuFeatures FEATURES = read(Path.of("/proc/cpuinfo"));
    }

    public CpuFeatures {
        TreeSet<String> lower = new TreeSet<>();
        for (String f : flags) {
            lower.add(f.toLowerCase(Locale.ROOT));
        }
        flags = Collections.unmodifiableSet(lower);
    }

    /**
     * Given flags, for tests and for a machine described elsewhere.
     *
     * @param flags flag names as {@code /proc/cpuinfo} spells them (case is ignored)
     * @return the features
     */
    public static CpuFeatures of(Set<String> flags) {
        return new CpuFeatures(flags);
    }

    /**
     * This machine's flags, read from {@code /proc/cpuinfo} on first use (none where that file does
     * not exist or cannot be read, e.g. on macOS: then nothing counts as present).
     *
     * @return the features of the CPU this JVM runs on
     */
    public static CpuFeatures host() {
        return Host.FEATURES;
    }

    /**
     * Parses the first {@code flags} line of a {@code /proc/cpuinfo} file.
     *
     * @param cpuinfo the file
     * @return its flags, or none when the file is missing or has no {@code flags} line
     */
    static CpuFeatures read(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo, StandardCharsets.UTF_8)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals("flags")) {
                    return of(new TreeSet<>(Arrays.asList(line.substring(colon + 1).trim().split("\\s+"))));
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc (not Linux) or unreadable: report no features rather than fail a run
        }
        return of(Set.of());
    }

    /** @param flag a flag name, e.g. {@code amx_bf16} @return whether the CPU has it */
    public boolean has(String flag) {
        return flags.contains(flag.toLowerCase(Locale.ROOT));
    }

    /** @return Intel AMX with bf16 tiles ({@code amx_bf16}): bf16 matrix products several times fp32's rate */
    public boolean amxBf16() {
        return has("amx_bf16");
    }

    /** @return Intel AMX with int8 tiles ({@code amx_int8}) */
    public boolean amxInt8() {
        return has("amx_int8");
    }

    /** @return AVX-512 bf16 dot products ({@code avx512_bf16}): bf16 runs, but no faster than fp32 */
    public boolean avx512Bf16() {
        return has("avx512_bf16");
    }

    /** @return AVX-512 VNNI int8 dot products ({@code avx512_vnni}) */
    public boolean avx512Vnni() {
        return has("avx512_vnni");
    }

    /** @return the {@link #PRECISION_FLAGS} this CPU has, in that order, space-separated ("none" when none) */
    public String precisionFlags() {
        StringBuilder b = new StringBuilder();
        for (String f : PRECISION_FLAGS) {
            if (has(f)) {
                b.append(b.length() == 0 ? "" : " ").append(f);
            }
        }
        return b.length() == 0 ? "none" : b.toString();
    }
}
