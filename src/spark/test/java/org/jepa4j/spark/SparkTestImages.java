package org.jepa4j.spark;

import org.jepa4j.export.OnnxExporter;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.onnx.OnnxWriter;
import org.jepa4j.testing.CraftedImages;
import org.jepa4j.testkit.ExportedEncoders;
import org.jepa4j.testkit.RandomImages;
import org.jepa4j.testkit.TinyEncoders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Generated test data: a tiny exported encoder and an ImageFolder tree of PNGs in class folders,
 * with unreadable files among them (not an image, empty, truncated, a decompression bomb whose
 * header declares 10^10 pixels).
 *
 * @param model    the exported encoder
 * @param root     the ImageFolder root
 * @param labels   every good image's path to its class folder
 * @param unreadable every unreadable file's path to a word its error must contain
 */
record SparkTestImages(Path model, Path root, Map<Path, String> labels, Map<Path, String> unreadable) {
    static final EncoderSpec SPEC = TinyEncoders.RGB;
    static final List<String> CLASSES = List.of("boot", "coat", "shirt");

    /** Writes the encoder (inline or with external data) and {@code perClass} images per class under {@code dir}. */
    static SparkTestImages write(Path dir, int perClass, OnnxWriter.ExternalData external) throws IOException {
        Path model = ExportedEncoders.export(dir.resolve("c.safetensors"), dir.resolve("encoder.onnx"), SPEC, 5,
                OnnxExporter.Options.defaults().withExternalData(external)).model();
        Path root = dir.resolve("images");
        Map<Path, String> labels = new TreeMap<>();
        Random r = new Random(11);
        for (String c : CLASSES) {
            for (int i = 0; i < perClass; i++) {
                // some images sit one folder deeper: the label is still the first folder below the root
                Path folder = i % 10 == 0 ? root.resolve(c).resolve("extra") : root.resolve(c);
                Files.createDirectories(folder);
                Path f = folder.resolve(String.format("%s_%04d.png", c, i));
                int w = 12 + r.nextInt(12);
                int h = 12 + r.nextInt(12);
                Files.write(f, RandomImages.png(RandomImages.rgb(w, h, r)));
                labels.put(f, c);
            }
        }
        Map<Path, String> bad = new TreeMap<>();
        Path notImage = root.resolve("coat").resolve("notes.png");
        Files.writeString(notImage, "not an image at all");
        bad.put(notImage, "not a decodable image");
        Path empty = root.resolve("boot").resolve("empty.png");
        Files.write(empty, new byte[0]);
        bad.put(empty, "empty");
        byte[] good = RandomImages.png(RandomImages.rgb(16, 16, r));
        Path truncated = root.resolve("shirt").resolve("truncated.png");
        Files.write(truncated, java.util.Arrays.copyOf(good, 40));
        bad.put(truncated, "not a decodable image");
        Path bomb = root.resolve("shirt").resolve("bomb.png");
        Files.write(bomb, CraftedImages.pngHeader(100_000, 100_000));
        bad.put(bomb, "more than the limit");
        // hidden files are not images of the collection
        Files.writeString(root.resolve("coat").resolve(".DS_Store"), "x");
        return new SparkTestImages(model, root, labels, bad);
    }

    /** Every listed file (good and unreadable). */
    List<Path> allFiles() {
        List<Path> all = new ArrayList<>(labels.keySet());
        all.addAll(unreadable.keySet());
        return all;
    }

    /** Spark's path string of a local file ({@code file:/...}). */
    static String uri(Path p) {
        return new org.apache.hadoop.fs.Path(p.toUri()).toString();
    }
}
