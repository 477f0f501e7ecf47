package org.jepa4j.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

import org.jepa4j.io.OutputGuard;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes a job's output folder so that a reader sees either a complete output or none. Spark's
 * commit protocol writes the task files under {@code _temporary} and moves them into place when the
 * job commits, then writes {@code _SUCCESS}: a folder with {@code _SUCCESS} is complete. An existing
 * output is refused unless {@link Mode#OVERWRITE}, and even then unless it is a complete earlier output
 * of spark-embed ({@code _SUCCESS} and only Spark's part files), never the input or the model; overwriting writes the new output into a hidden
 * sibling folder first and only then swaps it for the old one with two renames (atomic on HDFS and
 * local disks; on object stores, whose renames copy, a reader can see the gap between them), so a
 * failed job leaves the old output untouched. Spark's own overwrite mode would delete the old
 * output before the new one exists.
 */
public final class OutputCommit {
    /** What to do when the output folder exists. */
    public enum Mode {
        /** Refuse (the default). */
        ERRORIFEXISTS,
        /** Replace it once the new output is complete. */
        OVERWRITE;

        /** Parses {@code errorifexists} or {@code overwrite}. */
        public static Mode parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "errorifexists", "error" -> ERRORIFEXISTS;
                case "overwrite" -> OVERWRITE;
                default -> throw new IllegalArgumentException("--mode " + s + ": expected errorifexists or overwrite");
            };
        }
    }

    private final Path out;
    private final Mode mode;
    private final Configuration conf;

    /** @param out the output folder (any Hadoop file system URI or local path) */
    public OutputCommit(String out, Mode mode, Configuration conf) {
        this.out = new Path(out);
        this.mode = mode;
        this.conf = conf;
    }

    /**
     * Refuses an existing output before anything runs: always without {@link Mode#OVERWRITE}, and
     * with it unless the folder is a complete earlier output of spark-embed ({@code _SUCCESS} and
     * nothing but Spark's part files and their checksums beside it).
     *
     * @throws IllegalArgumentException naming the folder and what is in the way
     */
    public void check() throws IOException {
        FileSystem fs = out.getFileSystem(conf);
        removeStaleTemporaries(fs);
        if (!fs.exists(out)) {
            return;
        }
        if (mode == Mode.ERRORIFEXISTS) {
            throw new IllegalArgumentException("--out " + out + " exists: expected a new folder (or --mode overwrite to"
                    + " replace it)");
        }
        FileStatus status = fs.getFileStatus(out);
        if (!status.isDirectory()) {
            throw new IllegalArgumentException("--out " + out + " is a file, not an earlier spark-embed output: --mode"
                    + " overwrite replaces only a folder holding _SUCCESS and Spark's part files; remove it yourself or"
                    + " choose another --out");
        }
        if (!fs.exists(new Path(out, "_SUCCESS"))) {
            throw new IllegalArgumentException("--out " + out + " holds no _SUCCESS, so it is not a complete earlier"
                    + " spark-embed output: --mode overwrite does not replace it; remove it yourself or choose another --out");
        }
        for (FileStatus f : fs.listStatus(out)) {
            if (!ownEntry(f)) {
                throw new IllegalArgumentException("--out " + out + " holds " + f.getPath().getName()
                        + (f.isDirectory() ? " (a folder)" : "") + ", which spark-embed does not write: --mode overwrite"
                        + " replaces only a folder holding _SUCCESS and Spark's part files; remove it yourself or choose"
                        + " another --out");
            }
        }
    }

    /** Whether an entry of an output folder is one Spark's writer makes: _SUCCESS, part files, their .crc files. */
    static boolean ownEntry(FileStatus f) {
        String n = f.getPath().getName();
        if (f.isDirectory()) {
            return false;
        }
        return n.equals("_SUCCESS") || n.equals("._SUCCESS.crc") || n.startsWith("part-")
                || (n.startsWith(".part-") && n.endsWith(".crc"));
    }

    /**
     * Refuses an output folder that is, contains or lies inside the input (its folder, glob base or
     * list file, and every listed image) or the model, after resolving links and {@code ..}.
     *
     * @throws IllegalArgumentException naming the output and the input it would touch
     */
    public void requireApartFrom(String input, InputListing listing, java.nio.file.Path model) throws IOException {
        FileSystem fs = out.getFileSystem(conf);
        Path qualifiedOut = fs.makeQualified(out);
        List<OutputGuard.Input> inputs = new ArrayList<>();
        inputs.add(new OutputGuard.Input("--model", model));
        boolean local = "file".equals(qualifiedOut.toUri().getScheme());
        if (local) {
            java.nio.file.Path o = java.nio.file.Path.of(qualifiedOut.toUri());
            if (!InputListing.isGlob(input)) {
                inputs.add(new OutputGuard.Input("--input", java.nio.file.Path.of(fs.makeQualified(new Path(input)).toUri())));
            }
            OutputGuard.requireApartFromInputs("--out", o, inputs);
            java.nio.file.Path real = OutputGuard.realPath(o);
            for (String p : listing.paths()) {
                Path hp = new Path(p);
                if (!"file".equals(hp.toUri().getScheme())) {
                    continue;
                }
                java.nio.file.Path img = OutputGuard.realPath(java.nio.file.Path.of(hp.toUri()));
                if (img.startsWith(real)) {
                    throw new IllegalArgumentException("--out " + out + " contains the input image " + p + ": writing there"
                            + " could destroy what this command reads; choose an --out apart from its inputs");
                }
            }
            return;
        }
        String o = qualifiedOut.toString();
        List<String> others = new ArrayList<>(listing.paths());
        if (!InputListing.isGlob(input)) {
            others.add(fs.makeQualified(new Path(input)).toString());
        }
        for (String p : others) {
            if (p.equals(o) || p.startsWith(o + "/") || o.startsWith(p + "/")) {
                throw new IllegalArgumentException("--out " + out + " is, contains or lies inside the input " + p
                        + ": writing there could destroy what this command reads; choose an --out apart from its inputs");
            }
        }
    }

    /** Writes {@code rows} with Spark's writer of {@code format}. */
    public void write(Dataset<Row> rows, OutputFormat format) throws IOException {
        check();
        FileSystem fs = out.getFileSystem(conf);
        boolean replacing = mode == Mode.OVERWRITE && fs.exists(out);
        String tag = OutputGuard.writerTag() + "-" + UUID.randomUUID().toString().substring(0, 8);
        Path fresh = replacing ? new Path(out.getParent(), "." + out.getName() + tag + ".new") : out;
        Path old = new Path(out.getParent(), "." + out.getName() + tag + ".old");
        Runnable forget = onStop(fs, fresh);
        try {
            rows.write().format(format.source()).options(format.writerOptions()).mode(SaveMode.ErrorIfExists)
                    .save(fresh.toString());
        } catch (RuntimeException e) {
            fs.delete(fresh, true);
            forget.run();
            throw e;
        }
        forget.run();
        if (!replacing) {
            return;
        }
        if (!fs.rename(out, old)) {
            fs.delete(fresh, true);
            throw new IOException("--out " + out + ": could not move the old output aside to " + old);
        }
        if (!fs.rename(fresh, out)) {
            fs.rename(old, out);
            throw new IOException("--out " + out + ": could not move the new output " + fresh + " into place");
        }
        fs.delete(old, true);
    }

    /** Registers {@code folder} for removal if the process is stopped while it is written; returns the undo. */
    private static Runnable onStop(FileSystem fs, Path folder) {
        if ("file".equals(fs.makeQualified(folder).toUri().getScheme())) {
            java.nio.file.Path p = java.nio.file.Path.of(fs.makeQualified(folder).toUri());
            OutputGuard.removeOnStop(p);
            return () -> OutputGuard.forget(p);
        }
        try {
            fs.deleteOnExit(folder);
        } catch (IOException e) {
            return () -> { };
        }
        return () -> fs.cancelDeleteOnExit(folder);
    }

    /**
     * Removes what a stopped or killed earlier run of this output left beside it: its hidden new
     * folder, and its old folder (restored when the output itself is missing, since then the kill
     * came between the two renames). Only temporaries of processes no longer alive on this machine,
     * and only on the local file system, where that can be known.
     */
    void removeStaleTemporaries(FileSystem fs) throws IOException {
        Path parent = fs.makeQualified(out).getParent();
        if (parent == null || !"file".equals(parent.toUri().getScheme()) || !fs.exists(parent)) {
            return;
        }
        String prefix = "." + out.getName() + ".jepa4j-";
        FileStatus[] entries = fs.listStatus(parent, p -> p.getName().startsWith(prefix));
        for (FileStatus f : entries) {
            if (!OutputGuard.ofDeadLocalWriter(f.getPath().getName().substring(prefix.length()))) {
                continue;
            }
            if (f.getPath().getName().endsWith(".old") && !fs.exists(out)) {
                fs.rename(f.getPath(), out);
            } else {
                fs.delete(f.getPath(), true);
            }
        }
    }
}
