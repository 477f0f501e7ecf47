package org.jepa4j.infer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** The identity of an exported encoder: a hash over every byte of the model, for {@link ModelInfo#modelId()}. */
final class ModelIds {
    private ModelIds() {
    }

    /**
     * {@code <file name>@<12 hex digits>}: of the SHA-256 over every byte of the model: the model
     * file, then each external-data file it names (the {@code location} entries of its tensors, in
     * sorted order, each preceded by its name) and a {@code <model>.data} beside it. So a changed
     * weight changes the id also when the weights live outside the model file; the metadata alone
     * (which names the source checkpoint) would not see an edited data file.
     */
    static String of(Path model, Map<String, String> metadata) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        java.util.TreeSet<String> locations = new java.util.TreeSet<>();
        digest(md, model, locations);
        Path dir = model.toAbsolutePath().normalize().getParent(); // "./encoder.onnx" on a Spark executor
        String sibling = model.getFileName() + ".data";
        if (Files.isRegularFile(dir.resolve(sibling))) {
            locations.add(sibling);
        }
        for (String location : locations) {
            Path data = dir.resolve(location).normalize();
            if (!data.startsWith(dir) || !Files.isRegularFile(data)) {
                continue; // ONNX Runtime refuses such a location when it loads the model
            }
            md.update(("\n" + location + "\n").getBytes(StandardCharsets.UTF_8));
            digest(md, data, null);
        }
        return model.getFileName() + "@" + HexFormat.of().formatHex(md.digest()).substring(0, 12);
    }

    /** {@code key: "location"} of a serialised StringStringEntryProto, then the tag of its value. */
    private static final byte[] LOCATION_KEY = {0x0a, 0x08, 'l', 'o', 'c', 'a', 't', 'i', 'o', 'n', 0x12};

    /**
     * Feeds {@code file} to {@code md}; when {@code locations} is not null, also collects the
     * external-data file names the serialised model names (found in the same pass).
     */
    private static void digest(MessageDigest md, Path file, java.util.Set<String> locations) throws IOException {
        final int keep = LOCATION_KEY.length + 2 + 4096; // a location entry split between two reads
        byte[] buf = new byte[(1 << 20) + keep];
        int carried = 0;
        try (InputStream in = Files.newInputStream(file)) {
            int r;
            while ((r = in.read(buf, carried, buf.length - carried)) > 0) {
                md.update(buf, carried, r);
                int n = carried + r;
                if (locations == null) {
                    continue;
                }
                // entries starting before n - keep lie wholly in the buffer; the rest is scanned with the next read
                findLocations(buf, n, locations, n - keep);
                carried = Math.min(keep, n);
                System.arraycopy(buf, n - carried, buf, 0, carried);
            }
            if (locations != null && carried > 0) {
                findLocations(buf, carried, locations, carried);
            }
        }
    }

    /** Collects the locations named in {@code buf[0, n)} whose entries start before {@code limit}. */
    private static void findLocations(byte[] buf, int n, java.util.Set<String> locations, int limit) {
        outer:
        for (int i = 0; i < limit && i + LOCATION_KEY.length < n; i++) {
            for (int k = 0; k < LOCATION_KEY.length; k++) {
                if (buf[i + k] != LOCATION_KEY[k]) {
                    continue outer;
                }
            }
            int p = i + LOCATION_KEY.length;
            int len = 0;
            int shift = 0;
            while (p < n && shift < 14) {
                int b = buf[p++] & 0xff;
                len |= (b & 0x7f) << shift;
                shift += 7;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            if (len > 0 && len <= 4096 && p + len <= n) {
                locations.add(new String(buf, p, len, StandardCharsets.UTF_8));
            }
        }
    }

}
