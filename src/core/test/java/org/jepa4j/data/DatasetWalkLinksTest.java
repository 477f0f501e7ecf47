package org.jepa4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dataset walk reads every image once, labelled only by the class folder it really lives in,
 * whatever symbolic links the tree holds; dangling links are named and counted as unreadable.
 * The oracle: the images written, by real path, and the class each was written into.
 */
class DatasetWalkLinksTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private FolderDataset scan(Path root) {
        return FolderDataset.scan(root, "t", new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String warnings() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** root/a/{0,1}.png, root/b/{0,1}.png. */
    private Path tree() throws IOException {
        Path root = dir.resolve("root");
        for (String c : List.of("a", "b")) {
            for (int i = 0; i < 2; i++) {
                TestImages.writeGreyPng(root.resolve(c).resolve(i + ".png"), 4, 4, 10 * i);
            }
        }
        return root;
    }

    /** Every image once, each under the class folder its real path lies in. */
    private static void eachImageOnceUnderItsOwnClass(FolderDataset ds, Path root) throws IOException {
        Set<Path> seen = new HashSet<>();
        for (int i = 0; i < ds.size(); i++) {
            Path real = ds.file(i).toRealPath();
            assertTrue(seen.add(real), "read twice: " + real);
            String cls = ds.classNames().get(ds.label(i));
            assertTrue(real.startsWith(root.resolve(cls).toRealPath()), real + " labelled " + cls);
        }
    }

    @Test
    void aLinkToAnAncestorFolderAddsNoImageAndIsNamed() throws IOException {
        Path root = tree();
        Files.createSymbolicLink(root.resolve("a/up"), root);            // above the class folder: not a loop Java sees
        Files.createSymbolicLink(root.resolve("b/self"), root.resolve("b")); // the class folder itself: a loop
        FolderDataset ds = scan(root);
        assertEquals(4, ds.size(), warnings());
        eachImageOnceUnderItsOwnClass(ds, root);
        assertTrue(warnings().contains(root.resolve("a/up").toString()), warnings());
        assertEquals(2, ds.skippedEntries(), warnings());
    }

    @Test
    void linksToAnotherClassFolderOrItsFilesDoNotRelabelItsImages() throws IOException {
        Path root = tree();
        Files.createSymbolicLink(root.resolve("a/fromb"), root.resolve("b"));
        Files.createSymbolicLink(root.resolve("a/b0.png"), root.resolve("b/0.png"));
        Files.createSymbolicLink(root.resolve("c"), root.resolve("b")); // a whole class that is another's folder
        FolderDataset ds = scan(root);
        assertEquals(4, ds.size(), warnings());
        assertEquals(List.of("a", "b"), ds.classNames(), "c holds only images already listed under b");
        eachImageOnceUnderItsOwnClass(ds, root);
        assertTrue(warnings().contains("a/b0.png") && warnings().contains("a/fromb"), warnings());
    }

    /** {@link #tree()} with a link at {@code link} (under the root) to a folder outside it holding one image. */
    private FolderDataset scanWithLinkToAFolderOutside(String link) throws IOException {
        Path root = tree();
        Path elsewhere = dir.resolve("elsewhere");
        TestImages.writeGreyPng(elsewhere.resolve("x.png"), 4, 4, 1);
        Files.createSymbolicLink(root.resolve(link), elsewhere);
        return scan(root);
    }

    @Test
    void aLinkToAFolderOutsideTheDatasetIsNotReadUnderThisClass() throws IOException {
        FolderDataset ds = scanWithLinkToAFolderOutside("a/more");
        assertEquals(4, ds.size(), warnings());
        eachImageOnceUnderItsOwnClass(ds, dir.resolve("root"));
        assertTrue(warnings().contains("a/more") && warnings().contains("outside"), warnings());
    }

    @Test
    void aClassFolderThatIsALinkToFolderElsewhereIsAClass() throws IOException {
        FolderDataset ds = scanWithLinkToAFolderOutside("c");
        assertEquals(5, ds.size(), warnings());
        assertEquals(List.of("a", "b", "c"), ds.classNames());
    }

    @Test
    void aDanglingLinkIsNamedAndCountedAsAnUnreadableFile() throws IOException {
        Path root = tree();
        Files.createSymbolicLink(root.resolve("a/gone.png"), dir.resolve("nowhere.png"));
        FolderDataset ds = scan(root);
        assertEquals(4, ds.size());
        assertEquals(1, ds.unreadableCount());
        assertEquals(1, ds.danglingLinks());
        assertTrue(warnings().contains("a/gone.png") && warnings().contains("dangling"), warnings());
        assertTrue(ds.unreadableSummary().contains("skipped 1 unreadable file (1 dangling link)"), ds.unreadableSummary());
    }

    @Test
    void inAFlatFolderALinkToAnImageBesideItIsReadOnce() throws IOException {
        Path root = dir.resolve("flat");
        TestImages.writeGreyPng(root.resolve("1.png"), 4, 4, 1);
        TestImages.writeGreyPng(dir.resolve("outside.png"), 4, 4, 1);
        Files.createSymbolicLink(root.resolve("2.png"), root.resolve("1.png"));
        Files.createSymbolicLink(root.resolve("3.png"), dir.resolve("outside.png"));
        FolderDataset ds = scan(root);
        assertEquals(1, ds.size(), warnings());
        assertEquals(root.resolve("1.png"), ds.file(0));
    }
}
