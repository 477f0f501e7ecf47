package org.jepa4j.spark;

import org.apache.spark.SparkConf;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Ships an exported encoder to the executors through {@code spark.files}, which must be set before
 * the session starts: Spark ships those files to every executor of the application. A file added with
 * {@code SparkContext.addFile} after the session exists never reaches executors on a Spark 4 cluster
 * (per-session artifact isolation), although it does in {@code local[N]}, which hides the mistake.
 * An external-data file {@code <model>.data} beside the model travels with it: ONNX Runtime resolves
 * it next to the model, and {@code SparkFiles} puts both in one folder.
 */
public final class ModelShipping {
    private ModelShipping() {
    }

    /** The files to ship for {@code model}: the model and, when it exists, its {@code .onnx.data} file. */
    public static List<Path> filesOf(Path model) throws NoSuchFileException {
        org.jepa4j.infer.FeatureExtractor.requireModelFile(model);
        Path data = model.resolveSibling(model.getFileName() + ".data");
        List<Path> files = new ArrayList<>(List.of(model.toAbsolutePath()));
        if (Files.isRegularFile(data)) {
            files.add(data.toAbsolutePath());
        }
        return files;
    }

    /**
     * Adds {@code model} (and its external data) to {@code spark.files} of {@code conf}, keeping the
     * files already listed there (e.g. by {@code spark-submit --files}).
     *
     * @return {@code conf}, for chaining
     */
    public static SparkConf ship(SparkConf conf, Path model) throws NoSuchFileException {
        Set<String> files = new LinkedHashSet<>();
        for (String f : conf.get("spark.files", "").split(",")) {
            if (!f.isBlank()) {
                files.add(f.trim());
            }
        }
        for (Path p : filesOf(model)) {
            String uri = p.toUri().toString();
            // spark-submit --files may already list it by plain path or URI
            if (!files.contains(p.toString()) && !files.contains(uri)) {
                files.add(uri);
            }
        }
        return conf.set("spark.files", String.join(",", files));
    }
}
