package org.jepa4j.importer;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.checkpoint.Safetensors;
import org.jepa4j.config.DataConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.tensor.FloatTensor;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a {@link WeightSource} into a jepa4j run folder: infers the model from the shapes,
 * checks every tensor against {@link ParameterNames}, and writes
 * {@code RUN_DIR/checkpoints/latest.safetensors} (streamed one tensor at a time) plus
 * {@code RUN_DIR/config.yaml}.
 */
public final class CheckpointImporter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MOMENT_AVG = "optimizer.exp_avg.";
    private static final String MOMENT_SQ = "optimizer.exp_avg_sq.";

    /** The weights file of a Hugging Face model folder (what {@code save_pretrained} writes). */
    public static final String HUGGING_FACE_WEIGHTS = "model.safetensors";
    /** The model description of a Hugging Face model folder. */
    public static final String HUGGING_FACE_CONFIG = "config.json";

    private CheckpointImporter() {
    }

    /** What an import wrote. */
    public record Result(ModelSpec spec, Path checkpoint, Path config, String sha256, long tensors, long bytes,
                         List<String> notes) {
    }

    /**
     * The tensors to write, in checkpoint order, after checking them against the reference's names
     * and shapes for {@code spec}. A source without a predictor is accepted (noted by the source).
     *
     * @throws ImportException listing every misshapen, missing and unexpected tensor, each by name
     */
    public static Map<String, long[]> plan(WeightSource source, ModelSpec spec) throws ImportException {
        Map<String, long[]> have = source.shapes();
        Map<String, long[]> expected = new LinkedHashMap<>(ParameterNames.all(spec));
        boolean hasPredictor = have.keySet().stream().anyMatch(k -> k.startsWith(ParameterNames.PREDICTOR));
        if (!hasPredictor) {
            expected.keySet().removeIf(k -> k.startsWith(ParameterNames.PREDICTOR));
        }
        Map<String, long[]> params = new LinkedHashMap<>(expected);
        for (String prefix : List.of(MOMENT_AVG, MOMENT_SQ)) {
            have.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(k -> {
                long[] paramShape = params.get(k.substring(prefix.length()));
                expected.put(k, paramShape == null ? null : paramShape);
            });
        }
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            long[] shape = have.get(e.getKey());
            if (e.getValue() == null) {
                unexpected.add(e.getKey() + " (moment of an unknown parameter)");
            } else if (shape == null) {
                missing.add(describe(source, e.getKey()) + " " + Arrays.toString(e.getValue()));
            } else if (!Arrays.equals(shape, e.getValue())) {
                problems.add("tensor " + describe(source, e.getKey()) + " has shape " + Arrays.toString(shape)
                        + " but " + Arrays.toString(e.getValue()) + " was expected");
            }
        }
        for (String k : have.keySet()) {
            if (!expected.containsKey(k)) {
                unexpected.add(describe(source, k) + " " + Arrays.toString(have.get(k)));
            }
        }
        if (!missing.isEmpty()) {
            problems.add("missing tensors: " + String.join(", ", missing));
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected tensors: " + String.join(", ", unexpected));
        }
        if (!problems.isEmpty()) {
            throw new ImportException(source.file() + " does not match " + describe(spec) + ":\n  "
                    + String.join("\n  ", problems));
        }
        expected.entrySet().removeIf(e -> e.getValue() == null);
        return expected;
    }

    private static String describe(WeightSource source, String name) {
        String s = source.sourceName(name);
        return s.equals(name) ? "'" + name + "'" : "'" + name + "' (in the file: '" + s + "')";
    }

    /** A one-line summary of a model spec. */
    public static String describe(ModelSpec spec) {
        var e = spec.encoder();
        var p = spec.predictor();
        return String.format(Locale.ROOT, "encoder width %d depth %d heads %d mlp %d, %dx%d px, patch %d, %d channels;"
                        + " predictor width %d depth %d heads %d", e.width(), e.depth(), e.heads(), e.mlpHidden(),
                e.imageSize(), e.imageSize(), e.patchSize(), e.channels(), p.width(), p.depth(), p.heads());
    }

    /**
     * Imports {@code source} into {@code runDir}.
     *
     * @param progress receives human-readable progress lines
     * @throws ImportException when the weights do not fit the (inferred) model
     * @throws IOException     when reading or writing fails
     */
    public static Result importInto(WeightSource source, ImportOptions options, Path runDir, PrintWriter progress)
            throws ImportException, IOException {
        ModelSpec spec = SpecInference.infer(source.shapes(), options);
        progress.println("model: " + describe(spec));
        Map<String, long[]> plan = plan(source, spec);
        long bytes = 0;
        long largest = 0;
        for (long[] s : plan.values()) {
            long b = 4L * FloatTensor.elementCount(s);
            bytes += b;
            largest = Math.max(largest, b);
        }
        progress.printf(Locale.ROOT, "%d tensors, %s as float32 (= disk space for the checkpoint)%n",
                plan.size(), human(bytes));
        if (source instanceof HuggingFaceIJepa) {
            progress.printf(Locale.ROOT, "memory: the safetensors source is held in memory, about %s of heap%n",
                    human(bytes / 2 + 2 * largest));
        } else {
            progress.printf(Locale.ROOT, "memory: streamed one tensor at a time, about %s of heap (largest tensor %s)%n",
                    human(2 * largest), human(largest));
        }
        source.notes().forEach(n -> progress.println("note: " + n));

        progress.flush();
        progress.println("hashing " + source.file() + " (" + human(Files.size(source.file())) + ") ...");
        String sha = sha256(source.file());

        Path ckptDir = runDir.resolve(Checkpoint.FOLDER);
        Path ckptFile = ckptDir.resolve(Checkpoint.LATEST);
        RunConfig config = ImportedRunConfig.of(spec, runDir.toAbsolutePath().toString());
        String yaml = ImportedRunConfig.toYaml(config);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Checkpoint.FORMAT, "1");
        meta.put(Checkpoint.MODEL, Checkpoint.modelSpecJson(spec));
        meta.put(Checkpoint.CONFIG, yaml);
        meta.put(Checkpoint.STATE, stateJson(source.trainingState(), config.meta().seed()));
        meta.put(Checkpoint.PROVENANCE, provenanceJson(source, sha));
        meta.put(Checkpoint.PREPROCESSING, preprocessingJson(spec, config.data()));

        long started = System.nanoTime();
        long total = bytes;
        long[] lastReport = {System.nanoTime()};
        try {
            Safetensors.write(ckptFile, plan, name -> finite(source, name, source.load(name)), meta, (done, written) -> {
                long now = System.nanoTime();
                if (now - lastReport[0] > 5_000_000_000L || done == plan.size()) {
                    lastReport[0] = now;
                    progress.printf(Locale.ROOT, "  wrote %d/%d tensors, %s of %s%n", done, plan.size(),
                            human(written), human(total));
                }
            });
        } catch (IOException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof NonFiniteWeight nf) {
                    throw new ImportException(nf.getMessage());
                }
            }
            throw e;
        }
        Path configFile = runDir.resolve("config.yaml");
        AtomicFiles.writeString(configFile, yaml);
        progress.printf(Locale.ROOT, "wrote %s and %s in %.1f s%n", ckptFile, configFile,
                (System.nanoTime() - started) / 1e9);
        progress.flush();
        return new Result(spec, ckptFile, configFile, sha, plan.size(), bytes, source.notes());
    }

    /**
     * The trainer state (keys of {@code train.TrainerState}): the step is AdamW's step counter
     * (the iterations the reference ran, §5), iterations per epoch = step / epoch, batch size =
     * the checkpoint's per-process batch size times its world size; 0 where the file does not say.
     */
    static String stateJson(Map<String, Object> training, long seed) {
        long step = training.get("optimizer_steps") instanceof Number n ? n.longValue() : 0L;
        long epoch = training.get("epoch") instanceof Number n ? n.longValue() : 0L;
        long ipe = step > 0 && epoch > 0 ? step / epoch : 0L;
        long batch = training.get("batch_size") instanceof Number n ? n.longValue() : 0L;
        long world = training.get("world_size") instanceof Number n ? n.longValue() : 1L;
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("step", step);
        state.put("epoch", epoch);
        state.put("mask_sampler_step", step);
        state.put("seed", seed);
        state.put("ipe", ipe);
        state.put("batch_size", batch * world);
        state.put("dataset_size", ipe * batch * world);
        state.put("last_loss", training.get("loss") instanceof Number n ? n.doubleValue() : null);
        state.put("imported", true);
        state.put("source_training", training);
        return json(state);
    }

    static String provenanceJson(WeightSource source, String sha) {
        return Provenance.imported(source.file(), source.format(), sha, source.notes()).toJson(-1);
    }

    /** ImageNet mean/std at the model's image size; resize 256/224 of it as the standard eval protocol. */
    static String preprocessingJson(ModelSpec spec, DataConfig data) {
        int size = spec.encoder().imageSize();
        double[] mean = data.mean().stream().mapToDouble(Double::doubleValue).toArray();
        double[] std = data.std().stream().mapToDouble(Double::doubleValue).toArray();
        Preprocessing pre = new Preprocessing(size, (int) Math.round(size * 256.0 / 224.0), spec.encoder().channels(),
                mean, std);
        return pre.toJson();
    }

    /** SHA-256 of a file, streamed. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }


    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes as B / KB / MB / GB (powers of 1000, as disk sizes are quoted). */
    public static String human(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /**
     * The options of an import from {@code from}, completed by a Hugging Face model folder's
     * {@code config.json}: its {@code num_attention_heads} gives the heads, which the weights do not
     * hold, when {@code --heads} was not given. Any other source returns {@code options} unchanged.
     *
     * @throws ImportException when {@code --heads} disagrees with the folder's config, or the config is
     *                         not JSON, naming the file
     */
    public static ImportOptions withFolderConfig(Path from, ImportOptions options) throws ImportException {
        Path config = from.resolve(HUGGING_FACE_CONFIG);
        if (!Files.isDirectory(from) || !Files.isRegularFile(config)) {
            return options;
        }
        com.fasterxml.jackson.databind.JsonNode heads;
        try {
            heads = JSON.readTree(config.toFile()).path("num_attention_heads");
        } catch (IOException e) {
            throw new ImportException(config + ": not a Hugging Face config (" + e.getMessage() + ")");
        }
        if (!heads.canConvertToInt() || heads.asInt() < 1) {
            return options; // no usable value: heads come from --heads, --model-name or the width as for a file
        }
        if (options.heads() > 0 && options.heads() != heads.asInt()) {
            throw new ImportException("--heads " + options.heads() + " disagrees with " + config
                    + " (num_attention_heads " + heads.asInt() + ")");
        }
        return options.withHeads(heads.asInt());
    }

    /**
     * Opens a source by its content: a zip is a torch checkpoint, anything else is tried as
     * safetensors; a folder is a Hugging Face model folder, whose {@value #HUGGING_FACE_WEIGHTS} is read.
     *
     * @throws java.io.FileNotFoundException naming {@code file} when it does not exist or is a folder without weights
     */
    public static WeightSource open(Path file, boolean withOptimizer) throws IOException, ImportException {
        if (Files.isDirectory(file)) {
            Path model = file.resolve(HUGGING_FACE_WEIGHTS);
            if (!Files.isRegularFile(model)) {
                throw new java.io.FileNotFoundException(file + " is a folder without " + HUGGING_FACE_WEIGHTS
                        + ": expected an official checkpoint file (.pth.tar), a Hugging Face safetensors file or a"
                        + " Hugging Face model folder holding " + HUGGING_FACE_WEIGHTS);
            }
            file = model;
        } else if (!Files.exists(file)) {
            throw new java.io.FileNotFoundException(file + ": no such file (expected an official checkpoint .pth.tar,"
                    + " a Hugging Face safetensors file or a folder holding " + HUGGING_FACE_WEIGHTS + ")");
        }
        byte[] head = new byte[2];
        try (InputStream in = Files.newInputStream(file)) {
            in.readNBytes(head, 0, 2);
        }
        if (head[0] == 'P' && head[1] == 'K') {
            return OfficialCheckpoint.open(file, withOptimizer);
        }
        if (file.getFileName().toString().endsWith(".safetensors")) {
            if (withOptimizer) {
                throw new ImportException("--with-optimizer: " + file + " is a Hugging Face safetensors file, which"
                        + " holds no optimizer state");
            }
            return HuggingFaceIJepa.open(file);
        }
        // not zip, not .safetensors: let the torch reader explain (legacy format message)
        return OfficialCheckpoint.open(file, withOptimizer);
    }

    /**
     * {@code t}, when every value is finite: a NaN or infinite weight is refused where it enters,
     * naming the file, the tensor (in the source's and in jepa4j's naming) and the first index.
     */
    static FloatTensor finite(WeightSource source, String name, FloatTensor t) throws NonFiniteWeight {
        float[] v = t.data();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                long bad = 0;
                for (float x : v) {
                    bad += Float.isFinite(x) ? 0 : 1;
                }
                throw new NonFiniteWeight(source.file() + ": tensor '" + source.sourceName(name) + "' (" + name + ") holds "
                        + v[i] + " at index " + i + " (" + bad + " of " + v.length + " values are not finite): expected"
                        + " finite weights; nothing was imported");
            }
        }
        return t;
    }

    /** A weight that is NaN or infinite, raised inside the streaming write and reported as an {@link ImportException}. */
    static final class NonFiniteWeight extends IOException {
        private static final long serialVersionUID = 1L;

        NonFiniteWeight(String message) {
            super(message);
        }
    }
}
