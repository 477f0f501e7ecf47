package org.jepa4j.bench;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.Presets;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.config.RunConfigWriter;
import org.jepa4j.data.Image;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.ImageSources;
import org.jepa4j.data.Split;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.model.Initializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * {@code tools/bench-spark}: {@code tools/jepa4j spark-embed} on {@code local[2]} against
 * {@code tools/jepa4j embed} on the same PNG files in the same run, each a process of its own as a
 * user starts it. The files are Fashion-MNIST's 10,000 test images in class folders; the encoder has
 * the demo preset's shape ({@code fashion_mnist}: width 192, depth 4, patch 4) with random weights
 * (speed does not depend on the values). Prints images/s of the extraction itself, of the whole
 * process, start-up seconds and the Spark/embed ratios.
 * Usage: {@code tools/bench-spark [--images N] [--rounds R] [--master local[2]] [--work DIR]}.
 */
@Command(name = "bench-spark", mixinStandardHelpOptions = true, description = "tools/jepa4j spark-embed against"
        + " tools/jepa4j embed on the same PNG files, each a process of its own: images/s, start-up and the ratios.")
public final class SparkBenchmark implements Callable<Integer> {
    private static final Pattern SPARK_DONE = Pattern.compile(
            "(\\d+) images embedded, (\\d+) failed, (\\d+) partitions, ([0-9.]+) s \\(([0-9.]+) images/s\\), start-up ([0-9.]+) s");
    private static final Pattern EMBED_RATE = Pattern.compile("(\\d+)/(\\d+) (\\d+) img/s");

    SparkBenchmark() {
    }

    /** One process run: wall seconds of the whole process and the images/s it reported for the extraction. */
    record Timing(double wallSeconds, double extractionRate, int images, String extra) {
        double processRate() {
            return images / wallSeconds;
        }
    }

    @Option(names = "--images", defaultValue = "10000", description = "Fashion-MNIST test images written as PNGs"
            + " (default: ${DEFAULT-VALUE}).")
    int n;
    @Option(names = "--rounds", defaultValue = "1", description = "Rounds of embed then spark-embed (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--master", defaultValue = "local[2]", description = "Spark master (default: ${DEFAULT-VALUE}).")
    String master;
    @Option(names = "--work", paramLabel = "DIR", description = "Folder for the images, the encoder and the outputs"
            + " (default: jepa4j-bench-spark in the temporary folder).")
    Path work;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SparkBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (n < 1 || rounds < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--images and --rounds: expected 1 or more,"
                    + " got " + n + " and " + rounds);
        }
        if (work == null) {
            work = Path.of(System.getProperty("java.io.tmpdir"), "jepa4j-bench-spark");
        }
        Path home = Path.of(System.getProperty(Presets.HOME_PROPERTY, "."));
        Path images = writeImages(work.resolve("images-" + n), n);
        Path model = randomDemoEncoder(work);
        System.out.printf(Locale.ROOT, "bench-spark: %d Fashion-MNIST test PNGs in %s, random-weight encoder of the"
                + " fashion_mnist preset (%s), %d processors, %d round(s)%n", n, images, model,
                Runtime.getRuntime().availableProcessors(), rounds);
        List<Timing> embed = new ArrayList<>();
        List<Timing> spark = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            embed.add(runEmbed(home, model, images, work.resolve("embed.npy"), n));
            spark.add(runSpark(home, model, images, work.resolve("spark-out"), master, n));
        }
        System.out.println();
        System.out.println("| run | images | extraction images/s | whole process images/s | process seconds | start-up seconds | partitions |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int r = 0; r < rounds; r++) {
            row("embed (1 process, lanes = processors) #" + (r + 1), embed.get(r), "-");
            row("spark-embed " + master + " #" + (r + 1), spark.get(r), spark.get(r).extra());
        }
        double e = embed.stream().mapToDouble(Timing::extractionRate).average().orElseThrow();
        double s = spark.stream().mapToDouble(Timing::extractionRate).average().orElseThrow();
        double ep = embed.stream().mapToDouble(Timing::processRate).average().orElseThrow();
        double sp = spark.stream().mapToDouble(Timing::processRate).average().orElseThrow();
        System.out.printf(Locale.ROOT, "%nratio spark-embed / embed: extraction %.2fx, whole process %.2fx%n", s / e, sp / ep);
        return 0;
    }

    private static void row(String name, Timing t, String partitions) {
        System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.1f | %.1f | %s |%n", name, t.images(), t.extractionRate(),
                t.processRate(), t.wallSeconds(), t.wallSeconds() - t.images() / t.extractionRate(), partitions);
    }

    /** The test split as {@code DIR/<class index>_<class name>/<index>.png}, written once and reused. */
    static Path writeImages(Path dir, int n) throws IOException {
        Path complete = dir.resolveSibling(dir.getFileName() + ".complete"); // beside the folder: not an image of it
        if (Files.exists(complete)) {
            return dir;
        }
        ImageDataset test = ImageSources.fashionMnist(Path.of(ImageSources.FASHION_MNIST_DIR), Split.TEST);
        List<String> classes = ImageSources.FASHION_MNIST_CLASSES;
        for (int i = 0; i < Math.min(n, test.size()); i++) {
            int label = test.label(i);
            Path folder = dir.resolve(label + "_" + classes.get(label).replaceAll("[^A-Za-z0-9-]", "_"));
            Files.createDirectories(folder);
            ImageIO.write(grey(test.image(i)), "png", folder.resolve(String.format(Locale.ROOT, "%05d.png", i)).toFile());
        }
        Files.writeString(complete, "");
        return dir;
    }

    private static BufferedImage grey(Image img) {
        BufferedImage out = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                int v = Math.round(Math.max(0f, Math.min(1f, img.at(0, y, x))) * 255f);
                out.getRaster().setSample(x, y, 0, v);
            }
        }
        return out;
    }

    /** The demo preset's encoder with its initial (random) weights, exported like a trained one. */
    static Path randomDemoEncoder(Path work) throws IOException {
        Path model = work.resolve("fashion_mnist_random.onnx");
        if (Files.exists(model)) {
            return model;
        }
        RunConfig config = RunConfigLoader.resolve("fashion_mnist", List.of());
        Path ckpt = work.resolve("run").resolve(Checkpoint.FOLDER);
        Files.createDirectories(ckpt);
        new Checkpoint(Initializer.initialize(config.modelSpec(), config.meta().seed()), Map.of(Checkpoint.MODEL,
                Checkpoint.modelSpecJson(config.modelSpec()), Checkpoint.CONFIG, RunConfigWriter.toYaml(config)))
                .write(ckpt.resolve(Checkpoint.LATEST));
        OnnxExporter.export(work.resolve("run"), model, OnnxExporter.Options.defaults());
        return model;
    }

    private static Timing runEmbed(Path home, Path model, Path images, Path out, int n) throws Exception {
        Files.deleteIfExists(out);
        ProcessRun run = run(home, List.of("embed", "--model", model.toString(), "--data", "folder:" + images,
                "--out", out.toString()));
        String log = run.log();
        Matcher m = EMBED_RATE.matcher(log);
        int rate = -1;
        while (m.find()) {
            rate = Integer.parseInt(m.group(3));
        }
        if (rate <= 0) {
            throw new IllegalStateException("embed printed no rate:\n" + log);
        }
        return new Timing(run.seconds(), rate, n, "-");
    }

    private static Timing runSpark(Path home, Path model, Path images, Path out, String master, int n) throws Exception {
        deleteTree(out);
        ProcessRun run = run(home, List.of("spark-embed", "--model", model.toString(), "--input", images.toString(),
                "--out", out.toString(), "--master", master));
        Matcher m = SPARK_DONE.matcher(run.log());
        if (!m.find()) {
            throw new IllegalStateException("spark-embed printed no summary:\n" + run.log());
        }
        return new Timing(run.seconds(), Double.parseDouble(m.group(5)), Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2)),
                m.group(3));
    }

    /** A finished process: its output and wall-clock seconds. */
    record ProcessRun(String log, double seconds) {
    }

    /** Runs {@code tools/jepa4j ARGS} (the jars are built by then). */
    private static ProcessRun run(Path home, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("tools/jepa4j").toString()));
        cmd.addAll(args);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (code != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited with " + code + ":\n" + log);
        }
        System.out.printf(Locale.ROOT, "%s: %.1f s%n", args.get(0), seconds);
        return new ProcessRun(log, seconds);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
