package org.jepa4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.config.RunConfigWriter;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * What the checkpoint's integrity checks cost. A checkpoint of a preset's size (every parameter
 * plus both AdamW moments of the trained ones, as the trainer writes it) is written and read, in
 * each round both ways side by side: through {@link Checkpoint} (CRC32C per tensor on write;
 * checksum verification and the finite check on read) and through a baseline that does the same
 * file work without any check (the same chunked bulk copies, written through {@link AtomicFiles}).
 * Prints a table of medians.
 *
 * <p>{@code tools/bench-checkpoint [PRESET [REPEATS [DIR]]]} (default fashion_mnist, 21, a
 * temporary folder).
 */
@Command(name = "bench-checkpoint", mixinStandardHelpOptions = true,
        description = "Write and read a preset-sized checkpoint with its integrity checks"
                + " and without, side by side: medians.")
public final class CheckpointBenchmark implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", defaultValue = "fashion_mnist", paramLabel = "PRESET",
            description = "Run config or preset whose model sizes the checkpoint (default: ${DEFAULT-VALUE}).")
    String preset;
    @Parameters(index = "1", arity = "0..1", defaultValue = "21", paramLabel = "REPEATS",
            description = "Rounds, each writing and reading both ways (default: ${DEFAULT-VALUE}).")
    int repeats;
    @Parameters(index = "2", arity = "0..1", paramLabel = "DIR",
            description = "Folder for the files (default: a new temporary folder).")
    Path folder;

    private static final ObjectMapper JSON = new ObjectMapper();

    CheckpointBenchmark() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new CheckpointBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (repeats < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "REPEATS: expected 1 or more, got " + repeats);
        }
        RunConfig config;
        try {
            config = RunConfigLoader.resolve(preset, List.of());
        } catch (org.jepa4j.config.ConfigException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), "PRESET " + e.getMessage());
        }
        Path dir = folder != null ? folder : Files.createTempDirectory("jepa4j-ckpt-bench");
        ModelSpec spec = config.modelSpec();
        NamedTensors params = Initializer.initialize(spec, 0);
        NamedTensors.Builder b = NamedTensors.builder();
        params.asMap().forEach(b::put);
        params.asMap().forEach((name, t) -> {
            if (!name.startsWith("target_encoder.")) {
                b.put("optimizer.exp_avg." + name, new FloatTensor(t.shape(), t.data().clone()));
                b.put("optimizer.exp_avg_sq." + name, new FloatTensor(t.shape(), t.data().clone()));
            }
        });
        NamedTensors tensors = b.build();
        long values = tensors.asMap().values().stream().mapToLong(t -> t.data().length).sum();
        Map<String, String> meta = Map.of(Checkpoint.MODEL, Checkpoint.modelSpecJson(spec),
                Checkpoint.CONFIG, RunConfigWriter.toYaml(config));
        Checkpoint ckpt = new Checkpoint(tensors, meta);
        Path checked = dir.resolve("checked.safetensors");
        Path plain = dir.resolve("plain.safetensors");

        double[] writeChecked = new double[repeats];
        double[] writePlain = new double[repeats];
        double[] readChecked = new double[repeats];
        double[] readPlain = new double[repeats];
        long sink = 0;
        for (int r = -4; r < repeats; r++) { // four warm-up rounds
            // alternate which way goes first, so neither always finds the other's dirty pages
            boolean checkedFirst = (r & 1) == 0;
            long[] w = new long[2];
            long[] rd = new long[2];
            for (int k = 0; k < 2; k++) {
                boolean withChecks = (k == 0) == checkedFirst;
                long t0 = System.nanoTime();
                if (withChecks) {
                    ckpt.write(checked);
                } else {
                    plainWrite(plain, tensors, meta);
                }
                long t1 = System.nanoTime();
                sink += withChecks ? Checkpoint.read(checked).tensors().size() : plainRead(plain).size();
                long t2 = System.nanoTime();
                w[withChecks ? 0 : 1] = t1 - t0;
                rd[withChecks ? 0 : 1] = t2 - t1;
            }
            if (r >= 0) {
                writeChecked[r] = w[0] / 1e6;
                writePlain[r] = w[1] / 1e6;
                readChecked[r] = rd[0] / 1e6;
                readPlain[r] = rd[1] / 1e6;
            }
        }
        System.out.printf(Locale.ROOT, "checkpoint of %s: %d tensors, %,d values, %.1f MB on disk; %d rounds, medians"
                        + " (%d)%n", preset, tensors.size(), values, Files.size(checked) / 1e6, repeats,
                sink % 10);
        System.out.println("| step | with checks (ms) | without (ms) | cost of the checks |");
        System.out.println("|---|---|---|---|");
        row("write (CRC32C per tensor)", writeChecked, writePlain);
        row("read (CRC32C verified, finite check)", readChecked, readPlain);
        double[] both = new double[repeats];
        double[] bothPlain = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            both[i] = writeChecked[i] + readChecked[i];
            bothPlain[i] = writePlain[i] + readPlain[i];
        }
        row("write + read", both, bothPlain);
        Files.deleteIfExists(checked);
        Files.deleteIfExists(plain);
        return 0;
    }

    private static void row(String what, double[] with, double[] without) {
        double a = median(with);
        double b = median(without);
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %+.1f ms (%+.1f %%) |%n", what, a, b, a - b,
                100 * (a - b) / b);
    }

    /** The safetensors layout without checksums, written as every file is ({@link AtomicFiles}: temporary file, fsync, rename, fsync of the folder). */
    private static void plainWrite(Path file, NamedTensors tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long offset = 0;
        for (Map.Entry<String, FloatTensor> e : tensors.asMap().entrySet()) {
            ObjectNode node = header.putObject(e.getKey());
            node.put("dtype", "F32");
            var shape = node.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = 4L * e.getValue().data().length;
            node.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] hb = JSON.writeValueAsBytes(header);
        int padded = (hb.length + 7) / 8 * 8;
        AtomicFiles.write(file, out -> {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(hb);
            for (int i = hb.length; i < padded; i++) {
                out.write(' ');
            }
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            int chunk = buf.capacity() / 4;
            for (FloatTensor t : tensors.asMap().values()) {
                float[] data = t.data();
                for (int off = 0; off < data.length; off += chunk) {
                    int n = Math.min(chunk, data.length - off);
                    buf.clear();
                    buf.asFloatBuffer().put(data, off, n);
                    out.write(buf.array(), 0, 4 * n);
                }
            }
        });
    }

    /** Reads a file of {@link #plainWrite} back: header, then each F32 tensor in 1 MiB chunks, unchecked. */
    private static NamedTensors plainRead(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long headerLen = len.flip().getLong();
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            var header = JSON.readTree(hb.array());
            NamedTensors.Builder b = NamedTensors.builder();
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            var it = header.fields();
            while (it.hasNext()) {
                var e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                long[] shape = new long[e.getValue().path("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = e.getValue().path("shape").get(i).asLong();
                }
                long begin = 8 + headerLen + e.getValue().path("data_offsets").get(0).asLong();
                int count = Math.toIntExact(FloatTensor.elementCount(shape));
                float[] out = new float[count];
                int done = 0;
                while (done < count) {
                    int n = Math.min(buf.capacity() / 4, count - done);
                    buf.clear().limit(4 * n);
                    readFully(ch, buf, begin + 4L * done);
                    buf.flip();
                    buf.asFloatBuffer().get(out, done, n);
                    done += n;
                }
                b.put(e.getKey(), new FloatTensor(shape, out));
            }
            return b.build();
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new IOException(ch + ": unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
