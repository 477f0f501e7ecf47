package org.jepa4j.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Images in a folder, read with ImageIO (JPEG, PNG, BMP, GIF, TIFF). Two layouts:
 * <ul>
 *   <li>ImageFolder (torchvision): one sub-folder per class; class names sorted, label = position;
 *       each class folder is searched recursively; files at the top level are ignored, as torchvision does.</li>
 *   <li>flat: images directly inside the folder (no sub-folder holds images), unlabelled.</li>
 * </ul>
 * The file list is scanned once and sorted, so indices are deterministic. Files are decoded per
 * access. A file that fails to decode is reported once on stderr, remembered, and raises
 * {@link UnreadableImageException}; {@link BatchLoader} then substitutes the next readable index.
 */
public final class FolderDataset implements ImageDataset {

    /** File name endings read as images (case-insensitive). */
    public static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff");

    private final Path root;
    private final List<Path> files;
    private final int[] labels;
    private final List<String> classNames;
    private final String name;
    private final Set<Integer> unreadable = ConcurrentHashMap.newKeySet();
    private final PrintStream warnings;

    private FolderDataset(Path root, List<Path> files, int[] labels, List<String> classNames, String name,
                          PrintStream warnings) {
        this.root = root;
        this.files = List.copyOf(files);
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
        this.name = name;
        this.warnings = warnings;
    }

    /** Scans {@code dir}; warnings about unreadable files go to stderr. */
    public static FolderDataset scan(Path dir, String name) {
        return scan(dir, name, System.err);
    }

    /** Scans {@code dir}, reporting unreadable files to {@code warnings}. */
    public static FolderDataset scan(Path dir, String name, PrintStream warnings) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("image folder " + dir + " does not exist or is not a directory");
        }
        List<Path> subdirs = new ArrayList<>();
        List<Path> topFiles = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                if (Files.isDirectory(p)) {
                    subdirs.add(p);
                } else if (isImageName(p)) {
                    topFiles.add(p);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list image folder " + dir + ": " + e.getMessage(), e);
        }
        subdirs.sort(null);
        List<String> classNames = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path sub : subdirs) {
            List<Path> inClass = imagesUnder(sub);
            if (inClass.isEmpty()) {
                continue; // torchvision fails on empty classes; a stray empty folder is not a class here
            }
            int label = classNames.size();
            classNames.add(sub.getFileName().toString());
            for (Path f : inClass) {
                files.add(f);
                labels.add(label);
            }
        }
        if (!files.isEmpty()) {
            int[] l = labels.stream().mapToInt(Integer::intValue).toArray();
            return new FolderDataset(dir, files, l, classNames, name, warnings);
        }
        if (topFiles.isEmpty()) {
            throw new IllegalArgumentException("image folder " + dir + " holds no images (" + String.join(" ", EXTENSIONS)
                    + ") directly or in class sub-folders");
        }
        topFiles.sort(null);
        return new FolderDataset(dir, topFiles, null, List.of(), name, warnings);
    }

    private static List<Path> imagesUnder(Path dir) {
        try (Stream<Path> s = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            List<Path> out = new ArrayList<>(s.filter(p -> Files.isRegularFile(p) && isImageName(p)).toList());
            Collections.sort(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list image folder " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean isImageName(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String ext : EXTENSIONS) {
            if (n.endsWith(ext)) {
                return true;
            }
        }
        return false;
    }

    /** The scanned folder. */
    public Path root() {
        return root;
    }

    /** The file behind {@code index}. */
    public Path file(int index) {
        return files.get(index);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public Image image(int index) {
        Path file = files.get(index);
        if (unreadable.contains(index)) {
            throw new UnreadableImageException(file, "already found unreadable", null);
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            // an in-memory stream keeps ImageIO from writing a cache file per image; read() closes it
            ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
            BufferedImage img = ImageIO.read(in);
            if (img == null) {
                throw fail(index, file, "no ImageIO reader recognises its contents", null);
            }
            return Image.fromBufferedImage(img);
        } catch (IOException | RuntimeException e) {
            if (e instanceof UnreadableImageException u) {
                throw u;
            }
            throw fail(index, file, e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private UnreadableImageException fail(int index, Path file, String reason, Throwable cause) {
        if (unreadable.add(index)) {
            warnings.println("warning: skipping unreadable image " + file + " (" + reason + ")");
        }
        return new UnreadableImageException(file, reason, cause);
    }

    @Override
    public int label(int index) {
        return labels == null ? -1 : labels[java.util.Objects.checkIndex(index, files.size())];
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int unreadableCount() {
        return unreadable.size();
    }

    @Override
    public String unreadableSummary() {
        int n = unreadable.size();
        return n == 0 ? null : "skipped " + n + " unreadable file" + (n == 1 ? "" : "s") + " under " + root;
    }

    @Override
    public String description() {
        return name + " (" + files.size() + " images under " + root
                + (labels == null ? ", unlabelled" : ", " + classNames.size() + " classes") + ")";
    }
}
