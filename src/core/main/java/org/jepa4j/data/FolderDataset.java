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
    private final int danglingLinks;

    private FolderDataset(Path root, List<Path> files, int[] labels, List<String> classNames, String name,
                          PrintStream warnings, BoundedImageDecoder decoder, int skippedEntries, int danglingLinks) {
        this.decoder = decoder;
        this.skippedEntries = skippedEntries;
        this.danglingLinks = danglingLinks;
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
     *
     * <p>Links are followed, but every image is read once and only under the folder it really lives
     * in (symbolic links and {@code ..} resolved): a link to an ancestor folder, to a folder or file
     * outside its class folder, or a second path to an image already listed is skipped with a
     * warning naming it and counted; a dangling link is named and counted as an unreadable file.
     */
    public static FolderDataset scan(Path dir, String name, PrintStream warnings, BoundedImageDecoder decoder) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("image folder " + dir + " does not exist or is not a directory");
        }
        Path rootReal = real(dir);
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
        Walk walk = new Walk(warnings);
        for (Path sub : subdirs) {
            Path subReal = real(sub);
            if (rootReal != null && subReal != null && rootReal.startsWith(subReal)) {
                walk.skip(sub, "a symbolic link to " + subReal + ", the image folder itself or a folder above it");
                continue;
            }
            List<Path> inClass = walk.imagesUnder(sub, subReal);
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
            return new FolderDataset(dir, files, l, classNames, name, warnings, decoder, walk.skipped, walk.dangling);
        }
        topFiles.sort(null);
        List<Path> flat = walk.accept(topFiles, rootReal, dir);
        if (flat.isEmpty()) {
            throw new IllegalArgumentException("image folder " + dir + " holds no images (" + String.join(" ", EXTENSIONS)
                    + ") directly or in class sub-folders");
        }
        return new FolderDataset(dir, flat, null, List.of(), name, warnings, decoder, walk.skipped, walk.dangling);
    }

    /** {@code p} with links and {@code ..} resolved, or null when that fails (a dangling link, a vanished file). */
    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * One scan's walk: the images already listed (by real path), so none is listed twice, and the
     * counts of skipped entries and dangling links.
     */
    private static final class Walk {
        private final PrintStream warnings;
        private final Set<Path> listed = new java.util.HashSet<>();
        int skipped;
        int dangling;

        Walk(PrintStream warnings) {
            this.warnings = warnings;
        }

        void skip(Path entry, String why) {
            skipped++;
            warnings.println("warning: skipping " + entry + " (" + why + ")");
        }

        /**
         * Image files under {@code dir}, following links that stay inside {@code dirReal}; entries
         * that cannot be read are skipped with a warning and counted, so one odd entry never ends the walk.
         */
        List<Path> imagesUnder(Path dir, Path dirReal) {
            List<Path> candidates = new ArrayList<>();
            Set<Path> folders = new java.util.HashSet<>();
            try {
                Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                        new SimpleFileVisitor<>() {
                            @Override
                            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                                Path r = real(d);
                                if (r == null) {
                                    return FileVisitResult.CONTINUE; // listing it will name the problem
                                }
                                if (dirReal != null && !r.startsWith(dirReal)) {
                                    skip(d, "a symbolic link to " + r + ", outside its class folder " + dir
                                            + "; its images are not labelled by a folder they do not live in");
                                    return FileVisitResult.SKIP_SUBTREE;
                                }
                                if (!folders.add(r)) {
                                    skip(d, "a second path to the folder " + r + ", already listed");
                                    return FileVisitResult.SKIP_SUBTREE;
                                }
                                return FileVisitResult.CONTINUE;
                            }

                            @Override
                            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                                if (isImageName(file) && (attrs.isRegularFile() || attrs.isSymbolicLink())) {
                                    candidates.add(file);
                                }
                                return FileVisitResult.CONTINUE;
                            }

                            @Override
                            public FileVisitResult visitFileFailed(Path file, IOException e) {
                                skip(file, "while listing " + dir + ": " + walkProblem(e));
                                return FileVisitResult.CONTINUE;
                            }

                            @Override
                            public FileVisitResult postVisitDirectory(Path d, IOException e) {
                                if (e != null) {
                                    skipped++;
                                    warnings.println("warning: stopped listing " + d + " part way (" + walkProblem(e) + ")");
                                }
                                return FileVisitResult.CONTINUE;
                            }
                        });
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list image folder " + dir + ": "
                        + org.jepa4j.io.AtomicFiles.describe(e), e);
            }
            Collections.sort(candidates);
            return accept(candidates, dirReal, dir);
        }

        /**
         * The {@code candidates} (sorted) that are readable files living under {@code homeReal} and
         * not listed before; the others are named and counted.
         */
        List<Path> accept(List<Path> candidates, Path homeReal, Path home) {
            List<Path> out = new ArrayList<>();
            for (Path f : candidates) {
                Path r = real(f);
                if (r == null || !Files.isRegularFile(r)) {
                    dangling++;
                    warnings.println("warning: skipping unreadable image " + f + " (a dangling symbolic link: its"
                            + " target does not exist)");
                    continue;
                }
                if (homeReal != null && !r.startsWith(homeReal)) {
                    skip(f, "a symbolic link to " + r + ", outside " + home
                            + "; an image is labelled only by the folder it lives in");
                    continue;
                }
                if (!listed.add(r)) {
                    skip(f, "a second path to " + r + ", already listed; no image is read twice");
                    continue;
                }
                out.add(f);
            }
            return out;
        }
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

    /** Unreadable images: those that failed to decode so far, plus the dangling links the scan found. */
    @Override
    public int unreadableCount() {
        return unreadable.size() + danglingLinks;
    }

    /**
     * Directory entries the scan skipped: link loops, links leading out of their class folder,
     * second paths to an image or folder already listed, folders without permission, vanished files.
     */
    public int skippedEntries() {
        return skippedEntries;
    }

    /** Symbolic links named like images whose target does not exist (counted as unreadable images). */
    public int danglingLinks() {
        return danglingLinks;
    }

    @Override
    public String unreadableSummary() {
        int n = unreadableCount();
        if (n == 0 && skippedEntries == 0) {
            return null;
        }
        String files = "skipped " + n + " unreadable file" + (n == 1 ? "" : "s")
                + (danglingLinks == 0 ? "" : " (" + danglingLinks + " dangling link" + (danglingLinks == 1 ? "" : "s") + ")")
                + " under " + root;
        return skippedEntries == 0 ? files
                : files + " and " + skippedEntries + " folder entr" + (skippedEntries == 1 ? "y" : "ies")
                + " that could not be listed or were links out of their folder or second paths to an image";
    }

    @Override
    public String description() {
        return name + " (" + files.size() + " images under " + root
                + (labels == null ? ", unlabelled" : ", " + classNames.size() + " classes") + ")";
    }
}
