package org.jepa4j.importer;

import net.razorvine.pickle.PickleException;
import org.jepa4j.checkpoint.Safetensors;
import org.jepa4j.importer.TorchPickle.StorageRef;
import org.jepa4j.importer.TorchPickle.TensorRef;
import org.jepa4j.tensor.FloatTensor;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A {@code torch.save} file in the zip format (torch &gt;= 1.6): {@code <name>/data.pkl} (the
 * pickled object), {@code <name>/data/<key>} (raw little-endian storages) and
 * {@code <name>/version}. Storages are read on demand, one tensor at a time, so a 10 GB
 * checkpoint costs only the memory of the tensors actually asked for.
 */
public final class TorchArchive implements AutoCloseable {
    private final Path file;
    private final ZipFile zip;
    private final String prefix;
    private final Object root;

    private TorchArchive(Path file, ZipFile zip, String prefix, Object root) {
        this.file = file;
        this.zip = zip;
        this.prefix = prefix;
        this.root = root;
    }

    /**
     * Opens {@code file} and unpickles its {@code data.pkl} (tensors stay on disk).
     *
     * @throws IOException naming the file when it is not a zip-format torch file; legacy
     *                     (pre-1.6, non-zip) files get a message saying how to convert them
     */
    public static TorchArchive open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such file");
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(magic, 0, 4);
            if (n < 4 || magic[0] != 'P' || magic[1] != 'K') {
                throw new IOException(file + ": not a zip-format torch checkpoint. The legacy (pre-1.6) torch"
                        + " serialization is not supported; re-save it with a current torch:"
                        + " torch.save(torch.load(f, map_location='cpu'), 'out.pth.tar')");
            }
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + ": not a complete zip archive (" + e.getMessage() + "): expected a torch.save"
                    + " checkpoint; the file is truncated or damaged", e);
        }
        try {
            String prefix = null;
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                if (name.endsWith("data.pkl") && (name.equals("data.pkl") || name.endsWith("/data.pkl"))) {
                    prefix = name.substring(0, name.length() - "data.pkl".length());
                    break;
                }
            }
            if (prefix == null) {
                throw new IOException(file + ": zip archive without a data.pkl entry; not a torch.save file");
            }
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null) {
                try (InputStream in = zip.getInputStream(order)) {
                    String bo = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
                    if (!bo.equals("little")) {
                        throw new IOException(file + ": storages are stored '" + bo + "'-endian; only little-endian is supported");
                    }
                }
            }
            Object root;
            try (InputStream in = new BufferedInputStream(zip.getInputStream(zip.getEntry(prefix + "data.pkl")), 1 << 16)) {
                root = TorchPickle.load(in);
            } catch (PickleException e) {
                throw new IOException(file + ": cannot read " + prefix + "data.pkl: " + e.getMessage(), e);
            } catch (IOException | RuntimeException e) {
                // a damaged entry, or a crafted pickle (lengths beyond its data, unexpected types)
                throw new IOException(file + ": entry " + prefix + "data.pkl is damaged or cut short (" + e.getMessage()
                        + "): expected the pickled state of a torch.save checkpoint", e);
            }
            return new TorchArchive(file, zip, prefix, root);
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    /** The unpickled top-level object (for a checkpoint: a dict of state dicts). */
    public Object root() {
        return root;
    }

    public Path file() {
        return file;
    }

    /**
     * Reads one tensor as float32 in row-major order, honouring storage offset, size and
     * stride (non-contiguous views are gathered).
     *
     * @param name used in error messages
     * @throws IOException naming the tensor and the storage entry when they do not fit
     */
    public FloatTensor read(String name, TensorRef ref) throws IOException {
        StorageRef s = ref.storage();
        long count = FloatTensor.elementCount(ref.size());
        if (count > Integer.MAX_VALUE - 8) {
            throw new IOException(file + ": tensor '" + name + "' has " + count + " elements, more than one Java array holds");
        }
        // the span of storage elements the view touches
        long first = ref.offset();
        long last = ref.offset();
        for (int i = 0; i < ref.size().length; i++) {
            if (ref.size()[i] == 0) {
                return new FloatTensor(ref.size().clone(), new float[0]);
            }
            if (ref.stride()[i] < 0) {
                throw new IOException(file + ": tensor '" + name + "' has a negative stride " + Arrays.toString(ref.stride()));
            }
            last += (ref.size()[i] - 1) * ref.stride()[i];
        }
        if (first < 0 || last >= s.numel()) {
            throw new IOException(file + ": tensor '" + name + "' " + ref + " reaches outside its storage of "
                    + s.numel() + " elements");
        }
        long span = last - first + 1;
        if (span > Integer.MAX_VALUE - 8) {
            throw new IOException(file + ": tensor '" + name + "' spans " + span + " storage elements; too large");
        }
        float[] window = readElements(name, s, first, (int) span);
        float[] out;
        if (ref.isContiguous()) {
            out = window.length == count ? window : Arrays.copyOf(window, (int) count);
        } else {
            out = gather(window, ref.size(), ref.stride(), (int) count);
        }
        return new FloatTensor(ref.size().clone(), out);
    }

    /** Copies a strided view (offsets relative to {@code window[0]}) into row-major order. */
    static float[] gather(float[] window, long[] size, long[] stride, int count) {
        float[] out = new float[count];
        int rank = size.length;
        long[] idx = new long[rank];
        long src = 0;
        for (int i = 0; i < count; i++) {
            out[i] = window[(int) src];
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                src += stride[d];
                if (idx[d] < size[d]) {
                    break;
                }
                src -= idx[d] * stride[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    private float[] readElements(String name, StorageRef s, long first, int n) throws IOException {
        String entryName = prefix + "data/" + s.key();
        ZipEntry entry = zip.getEntry(entryName);
        if (entry == null) {
            throw new IOException(file + ": tensor '" + name + "' refers to storage entry " + entryName + ", which is missing");
        }
        int width = s.type().bytes();
        if (s.numel() < 0 || s.numel() > Long.MAX_VALUE / 8) {
            throw new IOException(file + ": storage entry " + entryName + " claims " + s.numel() + " elements");
        }
        if (entry.getSize() >= 0 && entry.getSize() < s.numel() * width) {
            throw new IOException(file + ": storage entry " + entryName + " has " + entry.getSize() + " bytes, but "
                    + s.numel() + " " + s.type().pythonName() + " elements need " + s.numel() * width);
        }
        float[] out = new float[n];
        try {
            readInto(out, entryName, entry, s, first, n, width);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException(file + ": storage entry " + entryName + " of tensor '" + name + "' is damaged or cut"
                    + " short (" + e.getMessage() + "): the file is truncated or damaged", e);
        }
        return out;
    }

    private void readInto(float[] out, String entryName, ZipEntry entry, StorageRef s, long first, int n, int width)
            throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            in.skipNBytes(first * width);
            byte[] chunk = new byte[Math.min(1 << 20, n * width) / width * width];
            ByteBuffer b = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
            int done = 0;
            while (done < n) {
                int take = Math.min(chunk.length / width, n - done);
                int bytes = in.readNBytes(chunk, 0, take * width);
                if (bytes != take * width) {
                    throw new IOException(file + ": storage entry " + entryName + " ends early");
                }
                b.clear();
                for (int i = 0; i < take; i++) {
                    out[done + i] = switch (s.type()) {
                        case FLOAT -> b.getFloat();
                        case DOUBLE -> (float) b.getDouble();
                        case HALF -> Safetensors.halfToFloat(b.getShort());
                        case BFLOAT16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                        case LONG -> b.getLong();
                        case INT -> b.getInt();
                    };
                }
                done += take;
            }
        }
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }
}
