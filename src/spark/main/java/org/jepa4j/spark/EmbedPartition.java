package org.jepa4j.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.data.Image;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Set;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The work of one partition: reads (or takes) each image's bytes, decodes it with the pixel limit
 * checked from the header first, embeds the decodable ones in batches of {@link EmbedOptions#batch}
 * with the executor's shared extractor, and emits one row per input row in input order; an image
 * that cannot be read or decoded gets a row with a null embedding and the reason in {@code error}.
 * Rows are produced batch by batch, so a partition never holds more than one batch of images.
 */
final class EmbedPartition implements MapPartitionsFunction<Row, Row> {
    private final EmbedOptions options;
    private final boolean withContent;
    private final EmbedCounters counters;

    /**
     * @param withContent whether input rows carry the bytes in column 1 ({@code content}); otherwise
     *                    they are read from the path in column 0 with Hadoop's file system
     * @param counters    where to count, or {@code null}
     */
    EmbedPartition(EmbedOptions options, boolean withContent, EmbedCounters counters) {
        this.options = options;
        this.withContent = withContent;
        this.counters = counters;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        TaskContext task = TaskContext.get();
        int threads = task == null ? 1 : Math.max(1, task.cpus());
        FeatureExtractor fx = ExecutorExtractors.get(options, threads);
        BoundedImageDecoder decoder = new BoundedImageDecoder(options.maxPixels(), "--max-pixels");
        Configuration conf = withContent ? null : new Configuration();
        String feature = options.feature().outputName();
        Set<FeatureKind> kinds = EnumSet.of(options.feature());
        return new Iterator<>() {
            private Iterator<Row> batch = List.<Row>of().iterator();
            private int reported;

            @Override
            public boolean hasNext() {
                while (!batch.hasNext() && input.hasNext()) {
                    batch = nextBatch();
                }
                return batch.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return batch.next();
            }

            private Iterator<Row> nextBatch() {
                List<String> paths = new ArrayList<>(options.batch());
                List<Image> images = new ArrayList<>(options.batch());
                List<Integer> slot = new ArrayList<>(options.batch());
                String[] errors = new String[options.batch()];
                while (paths.size() < options.batch() && input.hasNext()) {
                    Row r = input.next();
                    String path = r.getString(0);
                    int i = paths.size();
                    paths.add(path);
                    try {
                        byte[] bytes = withContent ? (byte[]) r.get(1) : read(path, conf);
                        if (bytes == null) {
                            throw new IOException(path + ": no content");
                        }
                        images.add(Image.fromBufferedImage(decoder.decode(bytes, path)));
                        slot.add(i);
                    } catch (IOException | RuntimeException e) {
                        errors[i] = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
                    }
                }
                float[][] vectors = embedInSlices(fx, images, kinds, options.feature());
                float[][] byRow = new float[paths.size()][];
                for (int j = 0; j < vectors.length; j++) {
                    byRow[slot.get(j)] = vectors[j];
                }
                List<Row> out = new ArrayList<>(paths.size());
                for (int i = 0; i < paths.size(); i++) {
                    String path = paths.get(i);
                    out.add(RowFactory.create(path, options.labelOf(path), feature, byRow[i], options.modelId(), errors[i]));
                    if (errors[i] != null && counters != null && reported < EmbedCounters.FAILURES_PER_PARTITION) {
                        // the reasons name the file themselves (decoder, reader)
                        counters.failures().add(errors[i].contains(path) ? errors[i] : path + ": " + errors[i]);
                        reported++;
                    }
                }
                if (counters != null) {
                    counters.embedded().add(vectors.length);
                    counters.failed().add(paths.size() - vectors.length);
                }
                return out.iterator();
            }
        };
    }

    /**
     * Features of {@code images}, run through the session {@link ExtractorOptions#SLICE_IMAGES} images at a
     * time: on one intra-op thread small runs keep activations in cache (a run of 32 is slower per image
     * than four of 8), and a feature does not depend on the batch it ran in.
     */
    static float[][] embedInSlices(FeatureExtractor fx, List<Image> images, Set<FeatureKind> kinds, FeatureKind feature) {
        float[][] out = new float[images.size()][];
        for (int from = 0; from < images.size(); from += ExtractorOptions.SLICE_IMAGES) {
            int to = Math.min(images.size(), from + ExtractorOptions.SLICE_IMAGES);
            float[][] slice = fx.embedFeatures(images.subList(from, to), kinds).get(feature);
            System.arraycopy(slice, 0, out, from, slice.length);
        }
        return out;
    }

    private static byte[] read(String path, Configuration conf) throws IOException {
        if (path.startsWith("file:")) {
            // a local file: java.nio, without Hadoop's checksum file system looking for a .crc beside it
            try {
                // Hadoop's Path, not URI.create: Spark's path strings are not percent-encoded ("file:/a b.png")
                return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(new org.apache.hadoop.fs.Path(path).toUri()));
            } catch (java.nio.file.NoSuchFileException e) {
                throw new IOException(path + ": no such file", e);
            } catch (IllegalArgumentException e) {
                throw new IOException(path + ": not a local file URI (" + e.getMessage() + ")", e);
            }
        }
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        FileSystem fs = p.getFileSystem(conf);
        try (FSDataInputStream in = fs.open(p)) {
            return in.readAllBytes();
        } catch (java.io.FileNotFoundException e) {
            throw new IOException(path + ": no such file", e);
        }
    }
}
