package org.jepa4j.spark;

import org.apache.spark.SparkFiles;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The feature extractors of one executor JVM: one per model identity and thread count (one session
 * serves every feature of the model, {@code FeatureExtractor.embedFeatures}), opened on first use from the file shipped with {@code spark.files} and shared by every task of
 * the JVM ({@code OrtSession.run} is thread-safe), so the weights are loaded once per executor, not
 * once per partition. They are never closed by a task: a later task of the same job reuses them,
 * and the JVM's exit frees them.
 *
 * <p>The one piece of JVM-wide mutable state in jepa4j: Spark gives executor code no other place
 * that outlives a task.
 */
final class ExecutorExtractors {
    /** What makes two extractors interchangeable. */
    record Key(String modelId, int intraOpThreads) {
    }

    private static final Map<Key, FeatureExtractor> OPEN = new ConcurrentHashMap<>();

    private ExecutorExtractors() {
    }

    /**
     * The extractor for {@code options}' model with {@code intraOpThreads} threads per run (the
     * task's {@code spark.task.cpus}), opening it on first use.
     *
     * @throws IllegalStateException naming the file when it was not shipped to this executor or is
     *                               not the model the driver read
     */
    static FeatureExtractor get(EmbedOptions options, int intraOpThreads) {
        Key key = new Key(options.modelId(), intraOpThreads);
        return OPEN.computeIfAbsent(key, k -> open(options, intraOpThreads));
    }

    /** How many extractors this JVM holds (tests check that tasks share them). */
    static int openCount() {
        return OPEN.size();
    }

    private static FeatureExtractor open(EmbedOptions options, int intraOpThreads) {
        Path model = Path.of(SparkFiles.get(options.modelFile()));
        if (!Files.isRegularFile(model)) {
            throw new IllegalStateException("model " + options.modelFile() + " was not shipped to this executor (no "
                    + model + "): list it in spark.files (--files) before the session starts, see ModelShipping;"
                    + " SparkContext.addFile after the session exists does not reach executors");
        }
        ExtractorOptions eo = ExtractorOptions.builder().feature(options.feature()).intraOpThreads(intraOpThreads)
                .lanes(1).build();
        FeatureExtractor fx;
        try {
            fx = FeatureExtractor.open(model, eo);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!fx.info().modelId().equals(options.modelId())) {
            String found = fx.info().modelId();
            fx.close();
            throw new IllegalStateException(model + " on this executor is " + found + ", expected " + options.modelId()
                    + " (the model the driver read): two different files were shipped under one name");
        }
        return fx;
    }
}
