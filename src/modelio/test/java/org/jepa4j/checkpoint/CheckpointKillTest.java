package org.jepa4j.checkpoint;

import org.jepa4j.io.RunFolderLock;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of a process writing numbered checkpoints and {@code latest} (as the trainer does, through
 * {@link Checkpoint#writeNumberedAndLatest}) at random moments, most of them during the numbered
 * file's write: {@code latest} is always a complete checkpoint, and its numbered file and every
 * earlier one exist complete.
 */
class CheckpointKillTest {
    private static final int VALUES = 1 << 20; // 4 MB per checkpoint: the write takes long enough to be hit

    /** Writes epoch 1, 2, ... to {@code args[0]} (every value of epoch E is E), announcing each, until killed. */
    public static final class Writer {
        public static void main(String[] args) throws IOException {
            Path dir = Path.of(args[0]);
            for (int epoch = 1; ; epoch++) {
                float[] values = new float[VALUES];
                Arrays.fill(values, epoch);
                NamedTensors t = NamedTensors.builder().put("w", new FloatTensor(new long[] {VALUES}, values)).build();
                new Checkpoint(t, Map.of(Checkpoint.MODEL, "{}", "epoch", Integer.toString(epoch)))
                        .writeNumberedAndLatest(dir.resolve(numbered(epoch)), dir.resolve(Checkpoint.LATEST));
                System.out.println("epoch " + epoch);
                System.out.flush();
            }
        }
    }

    private static String numbered(int epoch) {
        return String.format(java.util.Locale.ROOT, "epoch-%04d.safetensors", epoch);
    }

    @Test
    void aKillAtAnyMomentLeavesACompleteLatestAndEveryNumberedCheckpointUpToIt(@TempDir Path tmp) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Random random = new Random(19);
        int duringNumberedWrite = 0;
        // rounds until two kills came during a numbered write (most do), at most 12
        for (int round = 0; round < 12 && duringNumberedWrite < 2; round++) {
            Path dir = Files.createDirectories(tmp.resolve("round-" + round));
            Process writer = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    Writer.class.getName(), dir.toString()).redirectErrorStream(true).start();
            long delay;
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(),
                        StandardCharsets.UTF_8));
                String first = out.readLine();
                assertNotNull(first, "the writer ended before its first checkpoint");
                assertEquals("epoch 1", first);
                delay = random.nextInt(300);
                Thread.sleep(delay);
                writer.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block
                assertTrue(writer.waitFor(1, TimeUnit.MINUTES));
            } finally {
                writer.destroyForcibly();
            }
            String where = "round " + round + ", killed " + delay + " ms after epoch 1";

            Checkpoint latest = Checkpoint.read(dir.resolve(Checkpoint.LATEST)); // complete: checksums match
            int epoch = Integer.parseInt(latest.meta("epoch"));
            float[] expected = new float[VALUES];
            Arrays.fill(expected, epoch);
            assertArrayEquals(expected, latest.tensors().get("w").data(), 0f, where);
            List<String> numberedFiles;
            try (Stream<Path> files = Files.list(dir)) {
                numberedFiles = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("epoch-"))
                        .sorted().toList();
            }
            // 1 .. epoch, plus epoch + 1 when the kill came between its numbered write and the link
            assertTrue(numberedFiles.size() == epoch || numberedFiles.size() == epoch + 1, where + ": " + numberedFiles);
            for (int e = 1; e <= numberedFiles.size(); e++) {
                assertEquals(numbered(e), numberedFiles.get(e - 1), where);
                Checkpoint c = Checkpoint.read(dir.resolve(numbered(e)));
                assertEquals(Integer.toString(e), c.meta("epoch"), where);
            }
            if (Files.exists(dir.resolve(numbered(epoch + 1))) || temporaries(dir) > 0) {
                duringNumberedWrite++;
            }
            // the next run of the folder removes what the killed one left half-written
            try (RunFolderLock lock = RunFolderLock.acquire(dir)) {
                lock.removeStaleTemporaries(List.of(dir), new PrintStream(OutputStream.nullOutputStream()));
            }
            assertEquals(0, temporaries(dir), where);
        }
        assertTrue(duringNumberedWrite > 0, "no kill came during a numbered checkpoint's write");
    }

    private static long temporaries(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
        }
    }
}
