package org.jepa4j.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The image files of a {@code --input}, listed on the driver through Hadoop's file system (so
 * {@code hdfs://}, {@code s3a://} and local paths work alike), as qualified URI strings:
 * <ul>
 *   <li>a folder: every file below it, recursively; labels are the first folder below it
 *       (ImageFolder layout: {@code DIR/<class>/.../<image>});</li>
 *   <li>a glob ({@code *}, {@code ?}, {@code [...]}, <code>{a,b}</code>): the matching files, and every
 *       file below matching folders; no labels;</li>
 *   <li>a {@code .txt} file: one image path per line (blank lines and {@code #} comments skipped); no labels.</li>
 * </ul>
 * Hidden files and folders (names starting with {@code .} or {@code _}, as Spark's own sources skip
 * them) are left out. Symbolic links are followed, as Hadoop's listing follows them. Every file is
 * listed, image or not: one that does not decode becomes a failure row of the output, not a silent gap.
 *
 * @param paths     the files, sorted within each folder
 * @param labelRoot qualified URI of the folder labels are read below, or {@code null}
 */
public record InputListing(List<String> paths, String labelRoot) {
    public InputListing {
        paths = List.copyOf(paths);
    }

    /**
     * Lists {@code input}.
     *
     * @throws IllegalArgumentException naming the input when it does not exist, matches nothing, or
     *                                  holds no files
     */
    public static InputListing of(String input, Configuration conf) throws IOException {
        if (input == null || input.isBlank()) {
            throw new IllegalArgumentException("--input is empty: expected a folder, a glob or a .txt list of images");
        }
        Path path = new Path(input);
        FileSystem fs = path.getFileSystem(conf);
        List<String> files = new ArrayList<>();
        String labelRoot = null;
        if (isGlob(input)) {
            FileStatus[] matches = fs.globStatus(path);
            if (matches == null || matches.length == 0) {
                throw new IllegalArgumentException("--input " + input + ": the glob matches no file or folder");
            }
            for (FileStatus m : matches) {
                addAll(fs, m, files);
            }
        } else {
            if (!fs.exists(path)) {
                throw new IllegalArgumentException("--input " + input + ": no such file or folder (expected a folder, a glob"
                        + " or a .txt list of images)");
            }
            FileStatus status = fs.getFileStatus(path);
            if (status.isDirectory()) {
                labelRoot = fs.makeQualified(path).toString();
                addAll(fs, status, files);
            } else if (input.toLowerCase(Locale.ROOT).endsWith(".txt")) {
                readList(fs, status.getPath(), conf, files);
            } else {
                files.add(status.getPath().toString());
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("--input " + input + ": no image files found (hidden files, starting with"
                    + " . or _, are skipped)");
        }
        return new InputListing(files, labelRoot);
    }

    static boolean isGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
    }

    private static boolean hidden(Path p) {
        return hiddenName(p.getName());
    }

    private static void addAll(FileSystem fs, FileStatus root, List<String> out) throws IOException {
        if (!root.isDirectory()) {
            if (!hidden(root.getPath())) {
                out.add(root.getPath().toString());
            }
            return;
        }
        if ("file".equals(fs.getUri().getScheme())) {
            addAllLocal(java.nio.file.Path.of(root.getPath().toUri()), out);
            return;
        }
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(root.getPath(), true);
        List<String> found = new ArrayList<>();
        String rootPath = root.getPath().toString();
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            if (!underHidden(f.getPath(), rootPath)) {
                found.add(f.getPath().toString());
            }
        }
        found.sort(null);
        out.addAll(found);
    }

    /**
     * A local folder, walked with java.nio: Hadoop's local file system reads each file's permissions by
     * starting a process, about 5 ms per file (50 s for 10,000 images on two cores). Symbolic links are
     * followed, as Hadoop's own listing of a local folder follows them: a linked file or folder is listed
     * under the link's path (and labelled by the folder the link is in); a dangling link is listed too,
     * so that it becomes a failure row naming it rather than a silent gap; a link back to a folder above
     * it is not entered, since its files are listed under their own paths already.
     */
    private static void addAllLocal(java.nio.file.Path root, List<String> out) throws IOException {
        List<String> found = new ArrayList<>();
        java.nio.file.Files.walkFileTree(root, java.util.EnumSet.of(java.nio.file.FileVisitOption.FOLLOW_LINKS),
                Integer.MAX_VALUE, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult preVisitDirectory(java.nio.file.Path d,
                    java.nio.file.attribute.BasicFileAttributes a) {
                return !d.equals(root) && hiddenName(d.getFileName().toString())
                        ? java.nio.file.FileVisitResult.SKIP_SUBTREE : java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(java.nio.file.Path f, java.nio.file.attribute.BasicFileAttributes a) {
                // a dangling link arrives with the link's own attributes (its target cannot be read)
                if ((a.isRegularFile() || a.isSymbolicLink()) && !hiddenName(f.getFileName().toString())) {
                    found.add(new Path(f.toUri()).toString());
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(java.nio.file.Path f, IOException e) throws IOException {
                if (e instanceof java.nio.file.FileSystemLoopException) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
                throw new IOException("--input: cannot list " + f + ": " + org.jepa4j.io.AtomicFiles.describe(e), e);
            }
        });
        found.sort(null);
        out.addAll(found);
    }

    private static boolean hiddenName(String n) {
        return n.startsWith(".") || n.startsWith("_");
    }

    /** Whether {@code p} or a folder between it and {@code rootPath} is hidden. */
    private static boolean underHidden(Path p, String rootPath) {
        for (Path q = p; q != null && !q.toString().equals(rootPath); q = q.getParent()) {
            if (hidden(q)) {
                return true;
            }
        }
        return false;
    }

    private static void readList(FileSystem fs, Path list, Configuration conf, List<String> out) throws IOException {
        Path base = list.getParent();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(list), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#")) {
                    continue;
                }
                Path p = new Path(s);
                if (!p.isAbsolute() && p.toUri().getScheme() == null) {
                    p = new Path(base, s); // relative entries: relative to the list's folder
                }
                out.add(p.getFileSystem(conf).makeQualified(p).toString());
            }
        }
    }
}
