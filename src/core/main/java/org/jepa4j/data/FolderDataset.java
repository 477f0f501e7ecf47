package org.jepa4j.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Images in a folder, read with ImageIO (JPEG, PNG, BMP, GIF, TIFF). Two layouts:
 * <ul>
 *   <li>ImageFolder (torchvision): one sub-folder per class; class names sorted, label = position;
 *       each class folder is searched recursively; files at the top level are ignored, as torchvision does.</li>
 *   <li>flat: images directly inside the folder (no sub-folder holds images), unlabelled.</li>
 * </ul>
 * The file list is scanned once and sorted, so indices are deterministic. Entries the walk cannot
 * read (a symbolic-link loop, a folder without permission, a file that vanished during the walk)
 * are skipped with a warning and counted. Files are decoded per access through a
 * {@link BoundedImageDecoder}, so a header declaring more pixels than its limit is refused before
 * any pixel is decoded. A file that fails to decode (or is refused) is reported once on stderr,
 * remembered, and raises {@link UnreadableImageException}; {@link BatchLoader} then substitutes
 * the next readable index, and {@code embed} and {@code eval} leave it out.
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
    private final BoundedImageDecoder decoder;
    private final int skippedEntries;

    private FolderDataset(Path root, List<Path> files, int[] labels, List<String> classNames, String name,
                          PrintStream warnings, BoundedImageDecoder decoder, int skippedEntries) {
        this.decoder = decoder;
        this.skippedEntries = skippedEntries;
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

    /** Scans {@code dir}, reporting unreadable files to {@code warnings}; the default pixel limit. */
    public static FolderDataset scan(Path dir, String name, PrintStream warnings) {
        return scan(dir, name, warnings, new BoundedImageDecoder(BoundedImageDecoder.DEFAULT_MAX_PIXELS,
                "data.max_pixels"));
    }

    /**
     * Scans {@code dir}, reporting unreadable entries and files to {@code warnings}, decoding
     * through {@code decoder}.
     */
    public static FolderDataset scan(Path dir, String name, PrintStream warnings, BoundedImageDecoder decoder) {
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
        int[] skipped = {0};
        for (Path sub : subdirs) {
            List<Path> inClass = imagesUnder(sub, warnings, skipped);
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
            return new FolderDataset(dir, files, l, classNames, name, warnings, decoder, skipped[0]);
        }
        if (topFiles.isEmpty()) {
            throw new IllegalArgumentException("image folder " + dir + " holds no images (" + String.join(" ", EXTENSIONS)
                    + ") directly or in class sub-folders");
        }
        topFiles.sort(null);
        return new FolderDataset(dir, topFiles, null, List.of(), name, warnings, decoder, skipped[0]);
    }

    /**
     * Image files under {@code dir}, following links; entries that cannot be read are skipped with
     * a warning and counted in {@code skipped[0]}, so one odd entry never ends the walk.
     */
    private static List<Path> imagesUnder(Path dir, PrintStream warnings, int[] skipped) {
        List<Path> out = new ArrayList<>();
        try {
            Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                            if (attrs.isRegularFile() && isImageName(file)) {
                                out.add(file);
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path file, IOException e) {
                            skipped[0]++;
                            warnings.println("warning: skipping " + file + " while listing " + dir + " ("
                                    + walkProblem(e) + ")");
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult postVisitDirectory(Path d, IOException e) {
                            if (e != null) {
                                skipped[0]++;
                                warnings.println("warning: stopped listing " + d + " part way (" + walkProblem(e) + ")");
                            }
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list image folder " + dir + ": "
                    + org.jepa4j.io.AtomicFiles.describe(e), e);
        }
        Collections.sort(out);
        return out;
    }

    private static String walkProblem(IOException e) {
        if (e instanceof FileSystemLoopException) {
            return "a symbolic link loops back to a folder above it";
        }
        return org.jepa4j.io.AtomicFiles.describe(e);
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

    /** The file behind {@code index}, as a path. */
    @Override
    public String source(int index) {
        return files.get(index).toString();
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
            BufferedImage img = decoder.decode(Files.readAllBytes(file), file.toString());
            return Image.fromBufferedImage(img);
        } catch (BoundedImageDecoder.DecodeException e) {
            String m = e.getMessage();
            // the decoder's messages begin with the file name, which the warning already gives
            throw fail(index, file, m.startsWith(file.toString()) ? m.substring(file.toString().length()).strip() : m, e);
        } catch (IOException | RuntimeException e) {
            String why = e instanceof IOException io ? org.jepa4j.io.AtomicFiles.describe(io)
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
            throw fail(index, file, why, e);
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

    /** Directory entries the scan skipped (link loops, permission denied, vanished files). */
    public int skippedEntries() {
        return skippedEntries;
    }

    @Override
    public String unreadableSummary() {
        int n = unreadable.size();
        if (n == 0 && skippedEntries == 0) {
            return null;
        }
        String files = "skipped " + n + " unreadable file" + (n == 1 ? "" : "s") + " under " + root;
        return skippedEntries == 0 ? files
                : files + " and " + skippedEntries + " folder entr" + (skippedEntries == 1 ? "y" : "ies")
                + " that could not be listed";
    }

    @Override
    public String description() {
        return name + " (" + files.size() + " images under " + root
                + (labels == null ? ", unlabelled" : ", " + classNames.size() + " classes") + ")";
    }
}
