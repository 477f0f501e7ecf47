package org.jepa4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The output-safety rules every writing command applies: apart from its inputs, and no hidden leftovers. */
class OutputGuardTest {
    @TempDir
    Path dir;

    /** Writes {@code args[0]} through {@link AtomicFiles}, says so once the temporary holds data, then waits. */
    public static final class SlowWriter {
        public static void main(String[] args) throws Exception {
            AtomicFiles.write(Path.of(args[0]), out -> {
                out.write(new byte[1 << 16]);
                out.flush();
                System.out.println("writing");
                System.out.flush();
                try {
                    Thread.sleep(TimeUnit.MINUTES.toMillis(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    private static List<Path> hidden(Path folder) throws Exception {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
        }
    }

    private Process slowWriter(Path target) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SlowWriter.class.getName(),
                target.toString()).redirectErrorStream(true).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertNotNull(line, "the writer ended before writing");
        assertEquals("writing", line);
        assertEquals(1, hidden(target.getParent()).size(), "the writer's temporary is there while it writes");
        return p;
    }

    @Test
    void sigtermDuringAWriteLeavesNoHiddenPartialFile() throws Exception {
        Path target = Files.createDirectories(dir.resolve("out")).resolve("features.npy");
        Process p = slowWriter(target);
        try {
            p.destroy(); // SIGTERM: shutdown hooks run
            assertTrue(p.waitFor(1, TimeUnit.MINUTES));
            assertEquals(List.of(), hidden(target.getParent()), "no temporary left after SIGTERM");
            assertFalse(Files.exists(target), "nothing half-written under the final name");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aLaterWriteRemovesTheTemporaryAKilledWriterLeftAndNothingElse() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Path target = out.resolve("features.npy");
        Process p = slowWriter(target);
        p.destroyForcibly(); // SIGKILL: no hook runs, the temporary stays
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        assertEquals(1, hidden(out).size());
        Path foreign = Files.writeString(out.resolve(".features.npy.notes"), "mine");
        Path otherTarget = Files.writeString(out.resolve(".other" + OutputGuard.TEMPORARY_TAG + "1@h-x.tmp"),
                "another target's");
        AtomicFiles.writeString(target, "new");
        assertEquals("new", Files.readString(target));
        assertEquals(List.of(foreign, otherTarget).stream().sorted().toList(), hidden(out).stream().sorted().toList(),
                "only the dead writer's temporary of this target is removed");
    }

    @Test
    void aLiveWritersTemporaryIsNotRemoved() throws Exception {
        Path target = dir.resolve("f.bin");
        Path live = dir.resolve(".f.bin" + OutputGuard.writerTag() + "-abc.tmp");
        Path otherHost = Files.writeString(dir.resolve(".f.bin" + OutputGuard.TEMPORARY_TAG + "1@elsewhere-abc.tmp"), "x");
        Files.writeString(live, "in progress");
        assertEquals(0, OutputGuard.removeStaleTemporaries(target));
        assertTrue(Files.exists(live));
        assertTrue(Files.exists(otherHost), "another machine's writer may be alive: its temporary stays");
    }

    @Test
    void anOutputThatIsContainsOrLiesInsideAnInputIsRefusedAlsoThroughLinksAndDotDot() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data/a"));
        Files.createDirectories(dir.resolve("models"));
        Path model = Files.writeString(dir.resolve("models/m.onnx"), "x");
        List<OutputGuard.Input> in = List.of(new OutputGuard.Input("--data", dir.resolve("data")),
                new OutputGuard.Input("--model", model));
        Path link = Files.createSymbolicLink(dir.resolve("link"), data);
        for (Path bad : List.of(dir.resolve("data"), data.resolve("out.npy"), dir, link.resolve("x.npy"),
                dir.resolve("other/../data/a/y.npy"), link.resolve("../../data"), model, dir.resolve("models"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OutputGuard.requireApartFromInputs("--out", bad, in), bad.toString());
            assertTrue(e.getMessage().contains("--out " + bad) && e.getMessage().contains("the input"), e.getMessage());
        }
        assertDoesNotThrow(() -> OutputGuard.requireApartFromInputs("--out", dir.resolve("results/f.npy"), in));
        assertDoesNotThrow(() -> OutputGuard.requireApartFromInputs("--out", dir.resolve("models/f.npy"), in));
    }

    @Test
    void realPathResolvesLinksBeforeDotDotAsTheFileSystemDoes() throws Exception {
        Path deep = Files.createDirectories(dir.resolve("x/y/z"));
        Path link = Files.createSymbolicLink(dir.resolve("l"), deep);
        // l/.. is x/y (the link's target's parent), not dir
        assertEquals(dir.resolve("x/y").toRealPath().resolve("new/file"), OutputGuard.realPath(link.resolve("../new/file")));
    }

    @Test
    void anExistingForeignOutputIsNotReplaced() throws Exception {
        Path mine = Files.writeString(dir.resolve("a.txt"), "MINE");
        Path theirs = Files.writeString(dir.resolve("b.txt"), "theirs");
        assertDoesNotThrow(() -> OutputGuard.requireReplaceable("--out", mine, "mine", p -> true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OutputGuard.requireReplaceable("--out", theirs, "a file of this command", p -> false));
        assertTrue(e.getMessage().contains(theirs.toString()) && e.getMessage().contains("not a file of this command"),
                e.getMessage());
        assertDoesNotThrow(() -> OutputGuard.requireReplaceable("--out", dir.resolve("new.txt"), "x", p -> false));
    }
}
