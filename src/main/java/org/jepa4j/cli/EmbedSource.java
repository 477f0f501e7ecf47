package org.jepa4j.cli;

import org.jepa4j.data.Image;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The images {@code jepa4j embed} reads. Interim: only {@code folder:DIR} (ImageFolder layout, one
 * sub-folder per class, or loose files = unlabelled; {@code DIR/train}, {@code DIR/test} select the
 * split when present) until the data pipeline's {@code data.ImageSources} is available.
 */
interface EmbedSource {
    int size();

    Image image(int index);

    /** Class index, or -1 when unlabelled. */
    int label(int index);

    boolean labelled();

    String description();

    static EmbedSource open(String spec, String split) throws IOException {
        if (!split.equals("train") && !split.equals("test")) {
            throw new IllegalArgumentException("--split " + split + ": expected train or test");
        }
        if (spec.startsWith("folder:")) {
            return folder(Path.of(spec.substring("folder:".length())), split);
        }
        throw new IllegalArgumentException("data source '" + spec + "': this build of 'embed' reads folder:DIR only");
    }

    private static EmbedSource folder(Path root, String split) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("folder:" + root + ": no such folder");
        }
        Path dir = Files.isDirectory(root.resolve(split)) ? root.resolve(split) : root;
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(dir)) {
            classDirs = s.filter(Files::isDirectory).sorted().toList();
        }
        boolean labelled = !classDirs.isEmpty();
        if (labelled) {
            for (int c = 0; c < classDirs.size(); c++) {
                for (Path f : imageFiles(classDirs.get(c))) {
                    files.add(f);
                    labels.add(c);
                }
            }
        } else {
            for (Path f : imageFiles(dir)) {
                files.add(f);
                labels.add(-1);
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("folder:" + root + ": no image files (png, jpg, jpeg, bmp, gif) under " + dir);
        }
        String description = "folder " + dir + " (" + files.size() + " images" + (labelled ? ", " + classDirs.size() + " classes" : "") + ")";
        return new EmbedSource() {
            @Override
            public int size() {
                return files.size();
            }

            @Override
            public Image image(int index) {
                Path f = files.get(index);
                try {
                    BufferedImage img = ImageIO.read(f.toFile());
                    if (img == null) {
                        throw new IllegalArgumentException(f + ": not an image ImageIO can decode");
                    }
                    return Image.fromBufferedImage(img);
                } catch (IOException e) {
                    throw new UncheckedIOException(f + ": " + e.getMessage(), e);
                }
            }

            @Override
            public int label(int index) {
                return labels.get(index);
            }

            @Override
            public boolean labelled() {
                return labelled;
            }

            @Override
            public String description() {
                return description;
            }
        };
    }

    private static List<Path> imageFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp") || n.endsWith(".gif");
            }).sorted().toList();
        }
    }
}
