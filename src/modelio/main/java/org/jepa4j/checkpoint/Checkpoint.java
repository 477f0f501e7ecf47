package org.jepa4j.checkpoint;

import org.jepa4j.tensor.FloatTensor;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jepa4j.checkpoint.Safetensors;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.NamedTensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A jepa4j checkpoint: one safetensors file holding
 * <ul>
 *   <li>{@code encoder.*}, {@code predictor.*}, {@code target_encoder.*}: the reference's state
 *       dicts (names and shapes of {@link ParameterNames}, no {@code module.} prefix);</li>
 *   <li>{@code optimizer.exp_avg.<param>} and {@code optimizer.exp_avg_sq.<param>}: AdamW moments
 *       of every trained parameter ({@code <param>} with its part prefix), when present;</li>
 *   <li>string metadata: {@link #MODEL} (ModelSpec as JSON), {@link #CONFIG} (resolved run YAML),
 *       {@link #STATE} (trainer state JSON: step, epoch, sampler step, RNG state, ...),
 *       {@link #PROVENANCE} (JSON: run, time, jepa4j version, config hash, data source),
 *       {@link #PREPROCESSING} (evaluation transform constants as JSON).</li>
 * </ul>
 * A run folder keeps {@code checkpoints/latest.safetensors} plus numbered
 * {@code checkpoints/epoch-NNNN.safetensors}; files are written to a temporary name and renamed.
 *
 * <p>{@link #read} accepts only intact, finite checkpoints: the file's CRC32C checksums (one per
 * tensor and one of the metadata, {@link Safetensors#CHECKSUMS}) must match, and every value must
 * be finite, so a corrupted or diverged checkpoint is neither resumed nor exported.
 */
public record Checkpoint(NamedTensors tensors, Map<String, String> metadata) {
    public static final String FORMAT = "jepa4j.format";
    public static final String MODEL = "jepa4j.model";
    public static final String CONFIG = "jepa4j.config";
    public static final String STATE = "jepa4j.state";
    public static final String PROVENANCE = "jepa4j.provenance";
    public static final String PREPROCESSING = "jepa4j.preprocessing";
    public static final String LATEST = "latest.safetensors";
    public static final String FOLDER = "checkpoints";

    private static final ObjectMapper JSON = new ObjectMapper();

    public Checkpoint {
        metadata = Map.copyOf(metadata);
    }

    /**
     * Resolves a checkpoint argument: a file is taken as is; a run folder means its
     * {@code checkpoints/latest.safetensors}.
     *
     * @throws IOException naming the path when nothing usable is there
     */
    public static Path resolve(Path fileOrRunDir) throws IOException {
        if (Files.isRegularFile(fileOrRunDir)) {
            return fileOrRunDir;
        }
        if (Files.isDirectory(fileOrRunDir)) {
            Path latest = fileOrRunDir.resolve(FOLDER).resolve(LATEST);
            if (Files.isRegularFile(latest)) {
                return latest;
            }
            throw new IOException(fileOrRunDir + " is a folder without " + FOLDER + "/" + LATEST
                    + ": expected a run folder written by 'jepa4j train' or 'jepa4j import'");
        }
        throw new IOException(fileOrRunDir + ": no such checkpoint file or run folder");
    }

    /**
     * Reads a checkpoint file or a run folder's latest checkpoint; refuses one without its
     * checksums (every checkpoint jepa4j writes has them, so a missing entry means the file was
     * edited, and a changed byte could not be found).
     */
    public static Checkpoint read(Path fileOrRunDir) throws IOException {
        return read(fileOrRunDir, null);
    }

    /**
     * As {@link #read(Path)}, but a checkpoint without checksums is accepted with a warning on
     * {@code acceptUnchecked} when that is not null ({@code export --accept-unchecked}).
     */
    public static Checkpoint read(Path fileOrRunDir, java.io.PrintStream acceptUnchecked) throws IOException {
        Path file = resolve(fileOrRunDir);
        Safetensors.Contents c = Safetensors.read(file);
        if (!c.metadata().containsKey(MODEL)) {
            throw new IOException(file + ": not a jepa4j checkpoint (metadata '" + MODEL + "' is missing)");
        }
        if (!c.verified()) {
            String what = file + ": carries no checksums (metadata '" + Safetensors.CHECKSUMS + "' is missing), so a"
                    + " changed byte cannot be found";
            if (acceptUnchecked == null) {
                throw new IOException(what + ": expected a checkpoint as jepa4j train and import write it; the entry"
                        + " was removed or the file was made elsewhere (export takes it with --accept-unchecked)");
            }
            acceptUnchecked.println("WARNING: " + what + "; used anyway (--accept-unchecked)");
        }
        requireFinite(file, c.tensors());
        return new Checkpoint(c.tensors(), c.metadata());
    }

    /**
     * Refuses tensors holding NaN or infinity, naming the first such tensor and value.
     *
     * @throws IOException naming {@code file}, the tensor, the index and how many values are not finite
     */
    public static void requireFinite(Path file, NamedTensors tensors) throws IOException {
        String bad = firstNonFinite(tensors);
        if (bad != null) {
            throw new IOException(file + ": " + bad + ": expected finite weights; the checkpoint is not used (resume"
                    + " from or export an earlier one)");
        }
    }

    /**
     * The first tensor holding NaN or infinity in words ({@code tensor 'NAME' holds NaN at index I
     * (K of N values are not finite)}), or null when every value is finite.
     */
    public static String firstNonFinite(NamedTensors tensors) {
        for (Map.Entry<String, org.jepa4j.tensor.FloatTensor> e : tensors.asMap().entrySet()) {
            float[] data = e.getValue().data();
            int first = -1;
            long bad = 0;
            for (int i = 0; i < data.length; i++) {
                if (!Float.isFinite(data[i])) {
                    if (first < 0) {
                        first = i;
                    }
                    bad++;
                }
            }
            if (first >= 0) {
                return "tensor '" + e.getKey() + "' holds " + data[first] + " at index " + first + " (" + bad + " of "
                        + data.length + " values are not finite)";
            }
        }
        return null;
    }

    /** Writes atomically (temporary file in the same folder, then rename). */
    public void write(Path file) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putIfAbsent(FORMAT, "1");
        Safetensors.write(file, tensors, meta);
    }

    /**
     * Writes this checkpoint as {@code numbered} (atomically), then makes {@code latest} a second
     * name of it in one rename ({@link AtomicFiles#link}). Whenever a kill comes, {@code latest} is
     * the previous checkpoint or this one, complete, and never names a step whose numbered file is
     * missing; a kill before the rename leaves the complete numbered file and the previous latest.
     */
    public void writeNumberedAndLatest(Path numbered, Path latest) throws IOException {
        write(numbered);
        AtomicFiles.link(numbered, latest);
    }

    /** The model these tensors belong to. */
    public ModelSpec modelSpec() {
        try {
            return JSON.readValue(metadata.get(MODEL), ModelSpec.class);
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint metadata '" + MODEL + "' is not a valid model spec", e);
        }
    }

    /** ModelSpec as the JSON stored under {@link #MODEL}. */
    public static String modelSpecJson(ModelSpec spec) {
        try {
            return JSON.writeValueAsString(spec);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tensors of one part ({@code "encoder."}, {@code "target_encoder."}, {@code "predictor."}) without the prefix. */
    public NamedTensors part(String prefix) {
        return tensors.withPrefixRemoved(prefix);
    }

    /** Metadata value or null. */
    public String meta(String key) {
        return metadata.get(key);
    }
}
