package org.jepa4j.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

import java.io.IOException;
import java.util.UUID;

/**
 * Writes a job's output folder so that a reader sees either a complete output or none. Spark's
 * commit protocol writes the task files under {@code _temporary} and moves them into place when the
 * job commits, then writes {@code _SUCCESS}: a folder with {@code _SUCCESS} is complete. An existing
 * output is refused unless {@link Mode#OVERWRITE}; overwriting writes the new output into a hidden
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
     * Refuses an existing output before anything runs.
     *
     * @throws IllegalArgumentException naming the folder when it exists and the mode is not overwrite
     */
    public void check() throws IOException {
        FileSystem fs = out.getFileSystem(conf);
        if (mode == Mode.ERRORIFEXISTS && fs.exists(out)) {
            throw new IllegalArgumentException("--out " + out + " exists: expected a new folder (or --mode overwrite to"
                    + " replace it)");
        }
    }

    /** Writes {@code rows} with Spark's writer of {@code format}. */
    public void write(Dataset<Row> rows, OutputFormat format) throws IOException {
        check();
        FileSystem fs = out.getFileSystem(conf);
        if (mode == Mode.ERRORIFEXISTS || !fs.exists(out)) {
            rows.write().format(format.source()).options(format.writerOptions()).mode(SaveMode.ErrorIfExists).save(out.toString());
            return;
        }
        String tag = UUID.randomUUID().toString().substring(0, 8);
        Path fresh = new Path(out.getParent(), "." + out.getName() + ".new-" + tag);
        Path old = new Path(out.getParent(), "." + out.getName() + ".old-" + tag);
        try {
            rows.write().format(format.source()).options(format.writerOptions()).mode(SaveMode.ErrorIfExists).save(fresh.toString());
        } catch (RuntimeException e) {
            fs.delete(fresh, true);
            throw e;
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
}
