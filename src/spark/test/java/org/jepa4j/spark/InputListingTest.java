package org.jepa4j.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The driver's listing of a local {@code --input} folder, which walks it with java.nio rather than
 * through Hadoop's local file system, lists what Hadoop's own recursive listing lists, symbolic links
 * included, and keeps going where Hadoop's would not (a link loop, a dangling link).
 */
class InputListingTest {
    @TempDir
    Path dir;

    private static final Configuration CONF = new Configuration();

    /** root/a/{1,2}.png and hidden files, root/b/in.png linking to a file outside, root/c linking to a folder outside. */
    private Path treeWithLinks() throws IOException {
        Path root = dir.resolve("root");
        Files.createDirectories(root.resolve("a"));
        Files.createDirectories(root.resolve("b"));
        Files.writeString(root.resolve("a/1.png"), "x");
        Files.writeString(root.resolve("a/2.png"), "x");
        Files.writeString(root.resolve("a/.hidden.png"), "x");
        Files.writeString(root.resolve("a/_hidden.png"), "x");
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("o1.png"), "x");
        Files.writeString(outside.resolve("o2.png"), "x");
        Files.createSymbolicLink(root.resolve("b/in.png"), outside.resolve("o1.png"));
        Files.createSymbolicLink(root.resolve("c"), outside);
        return root;
    }

    private static String uri(Path p) {
        return new org.apache.hadoop.fs.Path(p.toUri()).toString();
    }

    /** Hadoop's own recursive listing of a local folder, hidden names left out as Spark's sources do. */
    private static List<String> hadoopListing(Path root) throws IOException {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(root.toUri());
        FileSystem fs = path.getFileSystem(CONF);
        List<String> out = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(path, true);
        while (it.hasNext()) {
            org.apache.hadoop.fs.Path p = it.next().getPath();
            if (!p.getName().startsWith(".") && !p.getName().startsWith("_")) {
                out.add(p.toString());
            }
        }
        out.sort(null);
        return out;
    }

    @Test
    void aFolderWithLinkedFilesAndFoldersListsWhatHadoopLists() throws IOException {
        Path root = treeWithLinks();
        InputListing listing = InputListing.of(root.toString(), CONF);
        List<String> expected = List.of(uri(root.resolve("a/1.png")), uri(root.resolve("a/2.png")),
                uri(root.resolve("b/in.png")), uri(root.resolve("c/o1.png")), uri(root.resolve("c/o2.png")));
        assertEquals(expected, listing.paths());
        assertEquals(hadoopListing(root), listing.paths());
    }

    @Test
    void aDanglingLinkIsListedToBecomeAFailureRowAndALinkLoopIsNotEntered() throws IOException {
        Path root = treeWithLinks();
        Files.createSymbolicLink(root.resolve("a/gone.png"), dir.resolve("nowhere.png"));
        Files.createSymbolicLink(root.resolve("a/up"), root);
        InputListing listing = InputListing.of(root.toString(), CONF);
        assertEquals(List.of(uri(root.resolve("a/1.png")), uri(root.resolve("a/2.png")), uri(root.resolve("a/gone.png")),
                uri(root.resolve("b/in.png")), uri(root.resolve("c/o1.png")), uri(root.resolve("c/o2.png"))),
                listing.paths());
    }
}
