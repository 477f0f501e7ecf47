package org.jepa4j.cluster;

import org.jepa4j.data.ImageDataset;
import org.jepa4j.graph.Tensors;
import org.jepa4j.provenance.Version;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Before step 1, every worker of a cluster run must agree on everything that defines the run: the
 * resolved config, the code, the data, the step it resumes at and the cluster. Workers that
 * disagree would otherwise train replicas that silently diverge (a learning rate, a seed, a mask
 * setting), or fail much later in a way that names the wrong cause (a batch size or an epoch count
 * that makes one worker stop first reads as "worker N is unreachable").
 *
 * <p>The exchange uses the run's own collective (TensorFlow's {@code CollectiveReduceV2}, a sum):
 * first every worker's SHA-256 of its canonical description, each in its rank's slot; when the
 * hashes differ, every worker's description bytes, each at its own offset. A sum in which exactly
 * one worker contributes each slot is that worker's value exactly (bytes and 16-bit halves are exact
 * in float32), so every worker ends with the same picture and stops with the same one-line
 * {@link ClusterConfigException} (exit code 2) naming each differing key and its value on each worker.
 */
public final class RunAgreement {
    /**
     * The collective group of the agreement: the training step's (its instance keys are apart). A
     * group of its own (3) made the first collective wait forever on TensorFlow Java 1.1.0.
     */
    static final int GROUP_KEY = AllReduce.GROUP_KEY;
    /** Instance key of the hash round (the training graph uses 1, 999 and 1000 upwards). */
    static final int HASH_INSTANCE = 900;
    /** Instance key of the description round. */
    static final int DESCRIPTION_INSTANCE = 901;
    /** Float slots per worker in the hash round: SHA-256 as 16 halves of 16 bits, then the byte length. */
    static final int HASH_SLOTS = 17;
    /** Longest description a worker may send (its bytes travel as one float each). */
    static final int MAX_DESCRIPTION_BYTES = 1 << 20;

    /**
     * Config keys that may differ between hosts without changing the run: thread pools, the loader's
     * workers, where the run folder is and how long a collective waits. Every other key must agree.
     */
    public static final Set<String> PER_HOST_KEYS = Set.of("meta.intra_op_threads", "meta.inter_op_threads",
            "meta.collective_timeout_s", "data.num_workers", "data.prefetch", "data.pin_mem", "logging.folder",
            "logging.log_every");

    /**
     * The key of the number format a worker's graph computes in: workers whose CPUs differ can resolve
     * {@code meta.matmul_precision: auto} differently, and replicas in different formats would train
     * a run no single process repeats.
     */
    public static final String MATMUL_PRECISION = "graph.matmul_precision";

    private RunAgreement() {
    }

    /**
     * What defines one worker's run, as {@code key -> value} in a canonical order: every key of the
     * resolved config but {@link #PER_HOST_KEYS} ({@code config.<section>.<key>}), the code
     * ({@code code.version}, {@code code.classes}: a hash of the jepa4j classes this process runs), the
     * graph's number format ({@link #MATMUL_PRECISION}), the
     * data ({@code data.images}, {@code data.classes}, {@code data.labels}: its size, class names and a
     * hash of every label), the resume step and the cluster ({@code cluster.workers}, {@code cluster.tasks}).
     *
     * @param entries key to value, sorted by key
     */
    public record Description(SortedMap<String, String> entries) {
        public Description {
            entries = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(entries));
        }

        /**
         * The description of a worker about to train.
         *
         * @param resolvedConfigYaml the resolved config as {@code config.yaml} holds it
         * @param data               the training images, after {@code data.limit}
         * @param resumeStep         the step the run starts at (0, or the resumed step)
         * @param cluster            the cluster this worker belongs to
         * @param matmulPrecision    the number format this worker's graph computes its matrix products in
         *                           ({@code meta.matmul_precision: auto} decides on each host, from its CPU)
         */
        public static Description of(String resolvedConfigYaml, ImageDataset data, long resumeStep, ClusterSpec cluster,
                                     String matmulPrecision) {
            SortedMap<String, String> m = new TreeMap<>(configEntries(resolvedConfigYaml));
            m.put(MATMUL_PRECISION, matmulPrecision);
            m.put("code.version", Version.current());
            m.put("code.classes", CodeFingerprint.current());
            m.put("data.images", Integer.toString(data.size()));
            m.put("data.classes", String.join(",", data.classNames()));
            m.put("data.labels", labelHash(data));
            m.put("run.resume_step", Long.toString(resumeStep));
            m.put("cluster.workers", Integer.toString(cluster.size()));
            m.put("cluster.tasks", String.valueOf(new TreeMap<>(cluster.jobs()))); // the addresses, not this rank
            return new Description(m);
        }

        /** One {@code key=value} line per entry, in key order (values have no line breaks). */
        public byte[] canonicalBytes() {
            StringBuilder b = new StringBuilder();
            entries.forEach((k, v) -> b.append(k).append('=').append(escape(v)).append('\n'));
            return b.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** Reads {@link #canonicalBytes()} back. */
        public static Description parse(byte[] canonical) {
            SortedMap<String, String> m = new TreeMap<>();
            for (String line : new String(canonical, StandardCharsets.UTF_8).split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                int eq = line.indexOf('=');
                m.put(eq < 0 ? line : line.substring(0, eq), eq < 0 ? "" : unescape(line.substring(eq + 1)));
            }
            return new Description(m);
        }
    }

    /**
     * Checks that every worker of {@code replication}'s cluster holds the same description; every
     * worker must call it, before the start-up broadcast.
     *
     * @throws ClusterConfigException on every worker when any two disagree, naming the keys and values
     */
    public static void check(Replication replication, Description mine) {
        byte[] bytes = mine.canonicalBytes();
        if (bytes.length > MAX_DESCRIPTION_BYTES) {
            throw new IllegalStateException("run description of " + bytes.length + " bytes exceeds "
                    + MAX_DESCRIPTION_BYTES);
        }
        int rank = replication.rank();
        int workers = replication.size();
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            Placeholder<TFloat32> in = tf.withName("agreement_in").placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1)));
            // a graph and session of its own, so that the training graph stays as it is
            Operand<TFloat32> hashOut = replication.allReduce().sum(tf, in, GROUP_KEY, HASH_INSTANCE, "agreement_hashes");
            Operand<TFloat32> out = replication.allReduce().sum(tf, in, GROUP_KEY, DESCRIPTION_INSTANCE,
                    "agreement_descriptions");
            try (Session s = replication.openSession(g)) {
                float[] hashes = sum(s, in, hashOut, hashSlots(sha256(bytes), bytes.length, rank, workers));
                int[] lengths = new int[workers];
                boolean same = true;
                for (int r = 0; r < workers; r++) {
                    lengths[r] = Math.round(hashes[r * HASH_SLOTS + HASH_SLOTS - 1]);
                    same &= Arrays.equals(hashes, r * HASH_SLOTS, r * HASH_SLOTS + HASH_SLOTS, hashes, 0, HASH_SLOTS);
                }
                if (same) {
                    return;
                }
                float[] gathered = sum(s, in, out, byteSlots(bytes, lengths, rank));
                List<Description> all = new ArrayList<>(workers);
                int offset = 0;
                for (int r = 0; r < workers; r++) {
                    byte[] b = new byte[lengths[r]];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (byte) Math.round(gathered[offset + i]);
                    }
                    offset += lengths[r];
                    all.add(Description.parse(b));
                }
                String disagreement = disagreement(all);
                throw new ClusterConfigException(disagreement != null ? disagreement
                        : "the workers' run descriptions differ in bytes but not in content (a worker sent a corrupt"
                        + " description); start every worker with the same build");
            }
        }
    }

    /**
     * The one-line message for descriptions {@code byRank} (index = rank) that disagree, or null when
     * they all agree: each differing key with its value on each worker.
     */
    public static String disagreement(List<Description> byRank) {
        Set<String> keys = new TreeSet<>();
        byRank.forEach(d -> keys.addAll(d.entries().keySet()));
        List<String> parts = new ArrayList<>();
        for (String k : keys) {
            Map<Integer, String> values = new LinkedHashMap<>();
            for (int r = 0; r < byRank.size(); r++) {
                values.put(r, byRank.get(r).entries().getOrDefault(k, "(absent)"));
            }
            if (values.values().stream().distinct().count() > 1) {
                StringBuilder p = new StringBuilder(k).append(':');
                values.forEach((r, v) -> p.append(" worker ").append(r).append(' ').append(abbreviate(v)).append(','));
                p.setLength(p.length() - 1);
                parts.add(p.toString());
            }
        }
        if (parts.isEmpty()) {
            return null;
        }
        String precisionHint = parts.stream().anyMatch(p -> p.startsWith(MATMUL_PRECISION + ":"))
                ? "; meta.matmul_precision auto chose by each host's CPU: set it to one format for every worker"
                : "";
        return "the " + byRank.size() + " workers disagree on what defines the run, so none trains: "
                + String.join("; ", parts) + " (start every worker with the same config, data, build and --resume"
                + precisionHint + ")";
    }

    private static float[] sum(Session s, Placeholder<TFloat32> in, Operand<TFloat32> out, float[] values) {
        try (TFloat32 t = Tensors.floats(new long[] {values.length}, values);
             Result r = s.runner().feed(in, t).fetch(out).run()) {
            return Tensors.readFloats((TFloat32) r.get(0));
        }
    }

    /** The hash round's vector: this rank's 16 hash halves and byte length in its slot, zeros elsewhere. */
    static float[] hashSlots(byte[] sha256, int length, int rank, int workers) {
        float[] v = new float[workers * HASH_SLOTS];
        for (int i = 0; i < 16; i++) {
            v[rank * HASH_SLOTS + i] = ((sha256[2 * i] & 0xff) << 8) | (sha256[2 * i + 1] & 0xff);
        }
        v[rank * HASH_SLOTS + HASH_SLOTS - 1] = length;
        return v;
    }

    /** The description round's vector: every worker's bytes back to back, this rank's filled in. */
    static float[] byteSlots(byte[] mine, int[] lengths, int rank) {
        long total = 0;
        int offset = 0;
        for (int r = 0; r < lengths.length; r++) {
            if (lengths[r] < 0 || lengths[r] > MAX_DESCRIPTION_BYTES) {
                throw new ClusterConfigException("worker " + r + " announced a run description of " + lengths[r]
                        + " bytes, expected 0.." + MAX_DESCRIPTION_BYTES + "; start every worker with the same build");
            }
            if (r < rank) {
                offset += lengths[r];
            }
            total += lengths[r];
        }
        float[] v = new float[Math.toIntExact(total)];
        for (int i = 0; i < mine.length; i++) {
            v[offset + i] = mine[i] & 0xff;
        }
        return v;
    }

    /** {@code section.key -> value} of a resolved config's YAML, without {@link #PER_HOST_KEYS}. */
    static SortedMap<String, String> configEntries(String yaml) {
        Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        SortedMap<String, String> m = new TreeMap<>();
        if (root instanceof Map<?, ?> sections) {
            sections.forEach((section, keys) -> {
                if (keys instanceof Map<?, ?> km) {
                    km.forEach((k, v) -> {
                        String name = section + "." + k;
                        if (!PER_HOST_KEYS.contains(name)) {
                            m.put("config." + name, String.valueOf(v));
                        }
                    });
                } else {
                    m.put("config." + section, String.valueOf(keys));
                }
            });
        }
        return m;
    }

    private static String labelHash(ImageDataset data) {
        MessageDigest md = sha256Digest();
        for (int i = 0; i < data.size(); i++) {
            int l = data.label(i);
            md.update(new byte[] {(byte) (l >>> 24), (byte) (l >>> 16), (byte) (l >>> 8), (byte) l});
        }
        return hex(md.digest()).substring(0, 16);
    }

    static byte[] sha256(byte[] bytes) {
        return sha256Digest().digest(bytes);
    }

    static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x));
        }
        return s.toString();
    }

    /** {@code v} with backslashes and line breaks escaped, so an entry stays on its line ({@link #unescape} reverses it). */
    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
    }

    private static String unescape(String v) {
        StringBuilder b = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                char n = v.charAt(++i);
                b.append(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String abbreviate(String v) {
        return v.length() <= 80 ? v : v.substring(0, 77) + "...";
    }
}
