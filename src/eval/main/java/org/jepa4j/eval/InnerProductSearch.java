package org.jepa4j.eval;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.CodedOutputStream;
import org.jepa4j.metrics.NeighbourSearch;
import org.jepa4j.onnx.OnnxGraphBuilder;
import org.jepa4j.onnx.OnnxProto.AttributeProto;
import org.jepa4j.onnx.OnnxProto.Dim;
import org.jepa4j.onnx.OnnxProto.ValueInfoProto;
import org.jepa4j.onnx.OnnxProto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The {@code k} largest inner products of query rows with a fixed bank of rows, computed by ONNX
 * Runtime running a two-node graph written here: {@code Gemm(queries, bank, transB = 1)} then
 * {@code TopK}. Its matrix multiply is an order of magnitude faster than a Java loop, which matters
 * for wide features (a flattened 7x7x192 token grid against 60000 training images is 5.6 TFLOP).
 *
 * <p>The bank lives in native tensors of at most {@link #MAX_CHUNK_VALUES} floats each (a direct
 * buffer holds under 2 GiB); each chunk's top {@code k} are merged. Equal values keep the lower bank
 * index first (ONNX {@code TopK}'s tie rule, kept by the merge). Closing frees the native memory.
 *
 * <p>The search of the {@code eval} command's kNN ({@code Knn.fit(x, y, InnerProductSearch.FACTORY)});
 * a training monitor's small sets use the plain-Java {@link org.jepa4j.metrics.ExactInnerProductSearch}.
 */
public final class InnerProductSearch implements NeighbourSearch {
    /** Opens an ONNX Runtime search (a {@link NeighbourSearch.Factory}). */
    public static final NeighbourSearch.Factory FACTORY = InnerProductSearch::new;

    /** Query rows per ONNX Runtime call: the similarity block is {@code QUERY_BLOCK x chunk rows} floats. */
    static final int QUERY_BLOCK = 256;
    /** Most floats in one bank tensor (1 GiB). */
    static final long MAX_CHUNK_VALUES = 1L << 28;

    private final int dim;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final List<OnnxTensor> chunks = new ArrayList<>();
    private final List<Integer> chunkStarts = new ArrayList<>();

    /**
     * @param rows {@code [n, dim]} bank rows (copied into native tensors)
     * @param dim  row width
     */
    public InnerProductSearch(float[][] rows, int dim) {
        this(rows, dim, MAX_CHUNK_VALUES);
    }

    /** As {@link #InnerProductSearch(float[][], int)} with at most {@code maxChunkValues} floats per bank tensor. */
    InnerProductSearch(float[][] rows, int dim, long maxChunkValues) {
        this.dim = dim;
        this.env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            this.session = env.createSession(model(dim), options);
            int perChunk = (int) Math.max(1, Math.min(rows.length, maxChunkValues / dim));
            for (int start = 0; start < rows.length; start += perChunk) {
                int n = Math.min(perChunk, rows.length - start);
                chunkStarts.add(start);
                chunks.add(OnnxTensor.createTensor(env, pack(rows, start, n, dim), new long[] {n, dim}));
            }
        } catch (OrtException e) {
            close();
            throw new IllegalStateException("kNN search could not start ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /** The graph: inputs {@code queries [q, dim]}, {@code bank [n, dim]}, {@code k [1]}; outputs {@code values}, {@code indices}. */
    static byte[] model(int dim) {
        OnnxGraphBuilder g = new OnnxGraphBuilder();
        String q = g.input(new ValueInfoProto("queries", OnnxProto.FLOAT, List.of(Dim.symbol("q"), Dim.of(dim))));
        String bank = g.input(new ValueInfoProto("bank", OnnxProto.FLOAT, List.of(Dim.symbol("n"), Dim.of(dim))));
        String k = g.input(new ValueInfoProto("k", OnnxProto.INT64, List.of(Dim.of(1))));
        String sims = g.node("Gemm", "similarities", List.of(q, bank), AttributeProto.ofInt("transB", 1));
        g.nodeWithOutputs("TopK", List.of(sims, k), List.of("values", "indices"), AttributeProto.ofInt("axis", 1),
                AttributeProto.ofInt("largest", 1), AttributeProto.ofInt("sorted", 1));
        g.output(new ValueInfoProto("values", OnnxProto.FLOAT, List.of(Dim.symbol("q"), Dim.symbol("k"))));
        g.output(new ValueInfoProto("indices", OnnxProto.INT64, List.of(Dim.symbol("q"), Dim.symbol("k"))));
        OnnxProto.ModelProto m = new OnnxProto.ModelProto(8, List.of(new OnnxProto.OperatorSetId("", 17)), "jepa4j",
                "", "", 1, "kNN similarity search", g.build("inner_product_top_k", ""), List.of());
        byte[] bytes = new byte[Math.toIntExact(m.serializedSize())];
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            m.writeTo(out);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes;
    }

    private static FloatBuffer pack(float[][] rows, int from, int n, int dim) {
        FloatBuffer fb = ByteBuffer.allocateDirect(Math.multiplyExact(n, dim) * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < n; i++) {
            fb.put(rows[from + i], 0, dim);
        }
        return fb.rewind();
    }

    /** One candidate neighbour of a query. */
    private record Candidate(float value, int index) {
    }

    private static final Comparator<Candidate> BEST_FIRST =
            Comparator.comparingDouble((Candidate c) -> -c.value()).thenComparingInt(Candidate::index);

    /**
     * Fills {@code outIdx[i]} and {@code outSim[i]} for queries {@code from <= i < to}: the bank
     * indices of the {@code k} (at most the bank size) largest inner products, largest first, and
     * those products.
     */
    @Override
    public void search(float[][] queries, int from, int to, int k, int[][] outIdx, float[][] outSim) {
        try {
            for (int start = from; start < to; start += QUERY_BLOCK) {
                int rows = Math.min(QUERY_BLOCK, to - start);
                List<List<Candidate>> found = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    found.add(new ArrayList<>());
                }
                try (OnnxTensor q = OnnxTensor.createTensor(env, pack(queries, start, rows, dim),
                        new long[] {rows, dim})) {
                    for (int c = 0; c < chunks.size(); c++) {
                        OnnxTensor bank = chunks.get(c);
                        long kk = Math.min(k, bank.getInfo().getShape()[0]);
                        try (OnnxTensor kt = OnnxTensor.createTensor(env, new long[] {kk});
                             OrtSession.Result res = session.run(Map.of("queries", q, "bank", bank, "k", kt))) {
                            float[][] values = (float[][]) res.get(0).getValue();
                            long[][] indices = (long[][]) res.get(1).getValue();
                            for (int r = 0; r < rows; r++) {
                                for (int j = 0; j < kk; j++) {
                                    found.get(r).add(new Candidate(values[r][j],
                                            chunkStarts.get(c) + (int) indices[r][j]));
                                }
                            }
                        }
                    }
                }
                for (int r = 0; r < rows; r++) {
                    List<Candidate> best = found.get(r);
                    best.sort(BEST_FIRST);
                    int kept = Math.min(k, best.size());
                    int[] idx = new int[kept];
                    float[] sim = new float[kept];
                    for (int j = 0; j < kept; j++) {
                        idx[j] = best.get(j).index();
                        sim[j] = best.get(j).value();
                    }
                    outIdx[start + r] = idx;
                    outSim[start + r] = sim;
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("kNN search failed in ONNX Runtime: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (OnnxTensor t : chunks) {
            t.close();
        }
        chunks.clear();
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException("closing the kNN search session: " + e.getMessage(), e);
            }
        }
    }
}
