package org.jepa4j.provenance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The NVIDIA GPUs that CUDA programs on this machine see, with the compute capability that decides
 * whether bf16 matrix products have tensor cores: 8.0 and later (Ampere, Ada, Hopper, Blackwell) have
 * them; on earlier GPUs (Volta 7.0, Turing 7.5 ...) bf16 runs without them, slower than fp32, as on a
 * CPU without AMX. Asked once, of {@code nvidia-smi} (which comes with the NVIDIA driver), by
 * {@link #host()}, and only where a graph was placed on a GPU; tests inject GPUs with {@link #of} and
 * {@link #parse}.
 *
 * <p>{@code CUDA_VISIBLE_DEVICES} is honoured where it lists indices or UUIDs, so that the GPUs
 * considered are the ones TensorFlow can use: as in CUDA, the list ends at the first index that names
 * no GPU. A MIG instance ({@code MIG-...}) stands for the listed GPUs that can be partitioned,
 * those of compute capability 8.0 and later (which GPU holds it is not asked); any other name that
 * matches no listed UUID makes every listed GPU count.
 *
 * @param gpus the GPUs, empty where none answered (no driver, no GPU, an {@code nvidia-smi} too old
 *             to report the compute capability)
 */
public record GpuFeatures(List<Gpu> gpus) {
    /** The first compute capability (major version) with bf16 tensor cores. */
    public static final int BF16_TENSOR_CORES_MAJOR = 8;

    /** What {@link #host()} asks {@code nvidia-smi} for, one GPU per line. */
    static final List<String> QUERY = List.of("--query-gpu=index,uuid,name,compute_cap", "--format=csv,noheader");

    /** Longest wait for {@code nvidia-smi}; a hung driver must not hang a run. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    /**
     * One GPU.
     *
     * @param index its index in {@code nvidia-smi}'s list
     * @param uuid  its UUID ({@code GPU-...})
     * @param name  its product name
     * @param major compute capability, major version
     * @param minor compute capability, minor version
     */
    public record Gpu(int index, String uuid, String name, int major, int minor) {
        /** @return whether its tensor cores multiply bf16 (compute capability 8.0 or later) */
        public boolean bf16TensorCores() {
            return major >= BF16_TENSOR_CORES_MAJOR;
        }

        /** @return e.g. {@code NVIDIA A100-SXM4-40GB (compute capability 8.0)} */
        public String label() {
            return name + " (compute capability " + major + "." + minor + ")";
        }
    }

    /** Asked when first needed (the lazy holder idiom: no mutable static state). */
    private static final class Host {
        static final GpuFeatures FEATURES = query("nvidia-smi", System.getenv("CUDA_VISIBLE_DEVICES"), TIMEOUT);
    }

    public GpuFeatures {
        gpus = List.copyOf(gpus);
    }

    /**
     * @param gpus the GPUs, for tests and for a machine described elsewhere
     * @return the features
     */
    public static GpuFeatures of(Gpu... gpus) {
        return new GpuFeatures(List.of(gpus));
    }

    /** @return no GPU known: none present, or none answered */
    public static GpuFeatures unknown() {
        return new GpuFeatures(List.of());
    }

    /**
     * This machine's GPUs, asked of {@code nvidia-smi} on first use.
     *
     * @return the GPUs CUDA programs here can use, or {@link #unknown()} where {@code nvidia-smi} is
     *         missing, fails or does not answer within {@link #TIMEOUT}
     */
    public static GpuFeatures host() {
        return Host.FEATURES;
    }

    /**
     * Runs {@code nvidia-smi} with {@link #QUERY}.
     *
     * @param executable         the {@code nvidia-smi} to run
     * @param cudaVisibleDevices the value of {@code CUDA_VISIBLE_DEVICES}, or null when unset
     * @param timeout            longest wait
     * @return the GPUs, or {@link #unknown()} on any failure
     */
    static GpuFeatures query(String executable, String cudaVisibleDevices, Duration timeout) {
        List<String> cmd = new ArrayList<>(List.of(executable));
        cmd.addAll(QUERY);
        Process p = null;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return unknown();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.exitValue() == 0 ? parse(out, cudaVisibleDevices) : unknown();
        } catch (IOException e) {
            return unknown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unknown();
        } finally {
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    /**
     * Parses {@code nvidia-smi --query-gpu=index,uuid,name,compute_cap --format=csv,noheader}.
     *
     * @param csv                its output: {@code 0, GPU-..., NVIDIA A100-SXM4-40GB, 8.0} per GPU
     * @param cudaVisibleDevices the value of {@code CUDA_VISIBLE_DEVICES} (indices or UUIDs, comma
     *                           separated), or null when unset
     * @return the GPUs CUDA programs can use; {@link #unknown()} when any line does not parse (an older
     *         driver answers {@code [N/A]} or an error for {@code compute_cap})
     */
    public static GpuFeatures parse(String csv, String cudaVisibleDevices) {
        List<Gpu> all = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",");
            if (f.length < 4) {
                return unknown();
            }
            try {
                String cap = f[f.length - 1].strip();
                int dot = cap.indexOf('.');
                int major = Integer.parseInt(dot < 0 ? cap : cap.substring(0, dot));
                int minor = dot < 0 ? 0 : Integer.parseInt(cap.substring(dot + 1));
                // a product name may itself hold commas: it is everything between the UUID and the capability
                String name = String.join(",", java.util.Arrays.copyOfRange(f, 2, f.length - 1)).strip();
                all.add(new Gpu(Integer.parseInt(f[0].strip()), f[1].strip(), name, major, minor));
            } catch (NumberFormatException e) {
                return unknown();
            }
        }
        return new GpuFeatures(visible(all, cudaVisibleDevices));
    }

    /** The GPUs {@code CUDA_VISIBLE_DEVICES} leaves, in its order. */
    private static List<Gpu> visible(List<Gpu> all, String cudaVisibleDevices) {
        if (cudaVisibleDevices == null) {
            return all;
        }
        List<Gpu> kept = new ArrayList<>();
        for (String entry : cudaVisibleDevices.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            if (e.toUpperCase(Locale.ROOT).startsWith("MIG-")) {
                // a MIG instance (MIG-<uuid>, or MIG-GPU-<uuid>/gi/ci from drivers before 470): only GPUs of
                // compute capability 8.0 and later can be partitioned, so its GPU is one of those
                List<Gpu> partitionable = all.stream().filter(Gpu::bf16TensorCores).filter(g -> !kept.contains(g)).toList();
                if (partitionable.isEmpty()) {
                    return all;
                }
                kept.addAll(partitionable);
                continue;
            }
            boolean index = e.matches("-?\\d+");
            if (index && all.stream().noneMatch(g -> g.index() == Integer.parseInt(e))) {
                break; // CUDA stops at the first invalid index (-1 hides every GPU, "0,7" on two GPUs is "0")
            }
            Gpu match = null;
            for (Gpu g : all) {
                boolean byIndex = index && Integer.parseInt(e) == g.index();
                boolean byUuid = e.toUpperCase(Locale.ROOT).startsWith("GPU-") && g.uuid().toUpperCase(Locale.ROOT)
                        .startsWith(e.toUpperCase(Locale.ROOT));
                if (byIndex || byUuid) {
                    match = g;
                }
            }
            if (match == null) {
                return all;
            }
            kept.add(match);
        }
        return kept;
    }

    /** @return whether any GPU answered */
    public boolean known() {
        return !gpus.isEmpty();
    }

    /** @return the first GPU without bf16 tensor cores, or null when every known GPU has them */
    public Gpu withoutBf16TensorCores() {
        for (Gpu g : gpus) {
            if (!g.bf16TensorCores()) {
                return g;
            }
        }
        return null;
    }

    /** @return the GPUs' labels, {@code ; }-separated, or {@code unknown} when none answered */
    public String describe() {
        if (gpus.isEmpty()) {
            return "unknown";
        }
        List<String> labels = new ArrayList<>();
        for (Gpu g : gpus) {
            labels.add(g.label());
        }
        return String.join("; ", labels);
    }
}
