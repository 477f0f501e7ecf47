package org.jepa4j.infer;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.Image;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.infer.internal.BatchLanes;
import org.jepa4j.infer.internal.Batchifier;
import org.jepa4j.infer.internal.GridPooling;
import org.jepa4j.metadata.OnnxMetadata;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Image features from a jepa4j ONNX export with ONNX Runtime:
 * <pre>{@code
 * try (var fx = FeatureExtractor.open(Path.of("encoder.onnx"))) {
 *     float[] v = fx.embed(Path.of("cat.png"));
 * }
 * }</pre>
 * Preprocessing is the evaluation transform ({@link EvalTransform}) with the constants recorded in
 * the model's metadata, so features match what evaluation sees.
 *
 * <p><b>Batch invariance.</b> Every feature of an image is a function of that image and the model
 * alone, bit for bit: the same whether it runs alone, at any position of a batch of any size, or
 * in any lane. Token-wise work (every Gemm row, LayerNorm, attention per image) does not depend on
 * the batch in ONNX Runtime's CPU kernels; the mean over tokens does (its reduction takes another
 * kernel when the batch dimension is 1). So {@link FeatureKind#POOLED} and
 * {@link FeatureKind#POOLED_GRID} are computed here from {@code last_hidden_state} (sums in double,
 * token order), and a run of one image that needs a reduction inside the graph
 * ({@link FeatureKind#POOLED_LAST4}) runs as two copies of it.
 *
 * <p><b>Threads and lifecycle.</b> Safe for concurrent callers: ONNX Runtime sessions are
 * thread-safe for {@code run}, and every call keeps its tensors local. One extractor (one session)
 * serves every feature ({@link #embedFeatures}). {@link #close()} is idempotent and waits for runs
 * in flight; any call after it throws {@link IllegalStateException}. A feature with NaN or infinite
 * values is never returned: the call throws {@link NonFiniteFeatureException} naming the model and the
 * image.
 */
public final class FeatureExtractor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FeatureExtractor.class.getName());
    /** The setting that sets the pixel limit of {@link #embed(Path)} and {@link #embed(byte[])}. */
    static final String MAX_PIXELS_SETTING = "ExtractorOptions.maxPixels";

    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final EvalTransform transform;
    private final ModelInfo info;
    private final int inputLength;
    private final BatchLanes lanes;
    private final BoundedImageDecoder decoder;
    /** Whether the model has {@code last_hidden_state}: then pooled is computed from it. */
    private final boolean tokens;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    /** The version of the ONNX Runtime library this extractor runs on (for provenance and reports). */
    public static String onnxRuntimeVersion() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    private FeatureExtractor(OrtEnvironment env, OrtSession session, String inputName, EvalTransform transform,
                             ModelInfo info, ExtractorOptions options) {
        this.env = env;
        this.session = session;
        this.inputName = inputName;
        this.transform = transform;
        this.info = info;
        this.inputLength = info.channels() * info.imageSize() * info.imageSize();
        // slices only pay off on the CPU, where each lane is a core; a GPU takes the batch whole
        this.lanes = new BatchLanes(info.provider() == ExecutionProvider.CPU ? options.lanes() : 1);
        this.decoder = new BoundedImageDecoder(options.maxPixels(), MAX_PIXELS_SETTING);
        this.tokens = info.featureLength().containsKey(FeatureKind.LAST_HIDDEN_STATE);
    }

    /** Opens a model with {@link ExtractorOptions#defaults()}. */
    public static FeatureExtractor open(Path model) throws IOException {
        return open(model, ExtractorOptions.defaults());
    }

    /**
     * Checks that {@code model} names an ONNX model file before anything opens it.
     *
     * @throws NoSuchFileException naming the path: missing, or a folder rather than a file
     */
    public static void requireModelFile(Path model) throws NoSuchFileException {
        if (Files.isDirectory(model)) {
            throw new NoSuchFileException(model.toString(), null, "is a folder, expected an ONNX model file"
                    + " (as 'jepa4j export --out' writes)");
        }
        if (!Files.isRegularFile(model)) {
            throw new NoSuchFileException(model.toString(), null, "no such ONNX model file");
        }
    }

    /**
     * Opens a model.
     *
     * @throws IOException              naming the file when it is missing or not an ONNX model
     * @throws IllegalArgumentException when the model lacks jepa4j metadata (and no preprocessing was
     *                                  given), the requested feature, or an image input {@code [B, C, S, S]}
     * @throws IllegalStateException    when {@link ExecutionProvider#CUDA} or {@link ExecutionProvider#TENSORRT}
     *                                  was asked for and cannot start ({@link ExecutionProvider#AUTO} falls back
     *                                  to the CPU instead)
     */
    public static FeatureExtractor open(Path model, ExtractorOptions options) throws IOException {
        requireModelFile(model);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSessions.SessionStart start = OrtSessions.startSession(env, model, options);
        OrtSession session = start.session();
        try {
            Map<String, String> metadata = session.getMetadata().getCustomMetadata();
            Preprocessing pre = options.preprocessing();
            if (pre == null) {
                List<String> missing = OnnxMetadata.missingPreprocessingKeys(metadata);
                if (!missing.isEmpty()) {
                    throw new IllegalArgumentException(model + ": not a jepa4j export, its metadata lacks " + missing
                            + "; pass the preprocessing explicitly (ExtractorOptions.withPreprocessing)");
                }
                try {
                    pre = OnnxMetadata.preprocessing(metadata);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(model + ": " + e.getMessage(), e);
                }
            }
            Map.Entry<String, NodeInfo> input = OrtSessions.imageInput(model, session);
            long[] inShape = ((TensorInfo) input.getValue().getInfo()).getShape();
            if (inShape[1] != pre.channels() || inShape[2] != pre.imageSize() || inShape[3] != pre.imageSize()) {
                throw new IllegalArgumentException(model + ": input '" + input.getKey() + "' has shape "
                        + java.util.Arrays.toString(inShape) + " but the preprocessing makes " + pre.channels() + "x"
                        + pre.imageSize() + "x" + pre.imageSize() + " images");
            }
            Map<FeatureKind, Integer> lengths = OrtSessions.featureLengths(session);
            if (!lengths.containsKey(options.feature())) {
                throw new IllegalArgumentException(model + ": no output '" + options.feature().source().outputName()
                        + "'" + (options.feature() != options.feature().source() ? " with a square token grid of at least "
                        + GridPooling.CELLS + "x" + GridPooling.CELLS + " for " + options.feature() : "")
                        + "; the model has outputs " + session.getOutputNames());
            }
            ModelInfo info = new ModelInfo(ModelIds.of(model, metadata), model, lengths, options.feature(), pre.imageSize(),
                    pre.channels(), pre, metadata, start.provider());
            return new FeatureExtractor(env, session, input.getKey(), new EvalTransform(pre), info, options);
        } catch (OrtException e) {
            closeQuietly(session);
            throw new IOException(model + ": cannot read the model's inputs, outputs or metadata: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
    }

    /** The model, its features and the preprocessing in use. */
    public ModelInfo info() {
        return info;
    }

    /** Workers that run a batch's slices ({@link ExtractorOptions#lanes}; 1 on a GPU). */
    public int lanes() {
        return lanes.lanes();
    }

    /** The evaluation transform this extractor applies. */
    public EvalTransform transform() {
        return transform;
    }

    /** Feature of one image. */
    public float[] embed(Image image) {
        return embedBatch(List.of(image))[0];
    }

    /** Feature of one decoded image. */
    public float[] embed(BufferedImage image) {
        return embed(Image.fromBufferedImage(image));
    }

    /**
     * Feature of an image file (any format ImageIO reads: PNG, JPEG, BMP, GIF). An image whose header
     * declares more than {@link ExtractorOptions#maxPixels()} pixels is refused before decoding.
     *
     * @throws IOException              naming the file when it cannot be read
     * @throws IllegalArgumentException naming the file when it is not a decodable image or declares too
     *                                  many pixels
     */
    public float[] embed(Path imageFile) throws IOException {
        byte[] bytes = Files.readAllBytes(imageFile);
        return embed(decode(bytes, imageFile.toString()));
    }

    /**
     * Feature of an encoded image (PNG, JPEG, BMP, GIF bytes). An image whose header declares more
     * than {@link ExtractorOptions#maxPixels()} pixels is refused before decoding.
     *
     * @throws IllegalArgumentException when the bytes are not a decodable image or declare too many pixels
     */
    public float[] embed(byte[] encodedImage) {
        return embed(decode(encodedImage, "image bytes"));
    }

    /** Feature of an already preprocessed image: normalised {@code [C, S, S]} values. */
    public float[] embedPixels(float[] normalisedChw) {
        if (normalisedChw.length != inputLength) {
            throw new IllegalArgumentException("pixels: " + normalisedChw.length + " values, expected C·S·S = "
                    + info.channels() + "·" + info.imageSize() + "·" + info.imageSize() + " = " + inputLength);
        }
        return embedStacked(normalisedChw, 1)[0];
    }

    /** Features of several images in one batch, in input order. */
    public float[][] embedBatch(List<Image> images) {
        if (images.isEmpty()) {
            return new float[0][];
        }
        return embedStacked(Batchifier.stack(images, inputLength, transform::applyInto), images.size());
    }

    /** Features of several {@link BufferedImage}s in one batch, in input order. */
    public float[][] embedBufferedImages(List<BufferedImage> images) {
        return embedBatch(images.stream().map(Image::fromBufferedImage).toList());
    }

    /**
     * Several features of each image from one session run (one model load serves them all): for each
     * kind in {@code kinds}, {@code [images.size()][dimension(kind)]} in input order.
     *
     * @throws IllegalArgumentException when the model does not offer one of the kinds
     */
    public Map<FeatureKind, float[][]> embedFeatures(List<Image> images, Set<FeatureKind> kinds) {
        return embedStacked(Batchifier.stack(images, inputLength, transform::applyInto), images.size(), kinds);
    }

    /**
     * Features {@code kinds} of already preprocessed images (each normalised {@code [C, S, S]}, as
     * {@link #transform()} makes them) in one batch: what a service that preprocesses on its own
     * threads and batches requests itself calls (the server does).
     *
     * @throws IllegalArgumentException when an input has the wrong length or the model lacks a kind
     */
    public Map<FeatureKind, float[][]> embedPrepared(List<float[]> inputs, Set<FeatureKind> kinds) {
        return embedStacked(Batchifier.stack(inputs, inputLength), inputs.size(), kinds);
    }

    /**
     * The selected feature of {@code count} preprocessed images stacked as {@code [count, C, S, S]}.
     */
    public float[][] embedStacked(float[] stackedPixels, int count) {
        return embedStacked(stackedPixels, count, EnumSet.of(info.feature())).get(info.feature());
    }

    /**
     * Features {@code kinds} of {@code count} preprocessed images stacked as {@code [count, C, S, S]}:
     * the path every other method ends in. The batch runs in slices ({@link ExtractorOptions#lanes}),
     * one session run per slice for all kinds.
     *
     * @throws IllegalArgumentException when the input length is wrong or the model lacks a kind
     * @throws IllegalStateException    when the extractor is closed or ONNX Runtime fails
     * @throws NonFiniteFeatureException when a feature is not finite (naming the model and the image)
     */
    public Map<FeatureKind, float[][]> embedStacked(float[] stackedPixels, int count, Set<FeatureKind> kinds) {
        if (stackedPixels.length != (long) count * inputLength) {
            throw new IllegalArgumentException("stacked pixels: " + stackedPixels.length + " values, expected "
                    + count + "·" + inputLength);
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("no feature asked for; expected some of " + info.featureLength().keySet());
        }
        for (FeatureKind k : kinds) {
            info.dimension(k);
        }
        Lock running = lifecycle.readLock();
        running.lock();
        try {
            if (closed) {
                throw closedError();
            }
            Map<FeatureKind, float[][]> out = new EnumMap<>(FeatureKind.class);
            if (count == 0) {
                kinds.forEach(k -> out.put(k, new float[0][]));
                return Collections.unmodifiableMap(out);
            }
            List<Map<FeatureKind, float[][]>> slices = lanes.run(count,
                    (first, size) -> runSlice(stackedPixels, first, size, kinds));
            for (FeatureKind k : kinds) {
                float[][] rows = new float[count][];
                int at = 0;
                for (Map<FeatureKind, float[][]> slice : slices) {
                    float[][] part = slice.get(k);
                    System.arraycopy(part, 0, rows, at, part.length);
                    at += part.length;
                }
                out.put(k, rows);
            }
            return Collections.unmodifiableMap(out);
        } finally {
            running.unlock();
        }
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("the FeatureExtractor of " + info.path() + " is closed");
    }

    /** The ONNX output a feature is read from (pooled comes from the tokens when the model has them). */
    private String outputOf(FeatureKind kind) {
        return kind == FeatureKind.POOLED && tokens ? FeatureKind.LAST_HIDDEN_STATE.outputName()
                : kind.source().outputName();
    }

    /** Outputs reduced over tokens inside the graph, whose kernel changes when the batch dimension is 1. */
    private static boolean reducedInGraph(String output) {
        return !output.equals(FeatureKind.LAST_HIDDEN_STATE.outputName());
    }

    /**
     * One session run on images {@code first … first + size − 1} of the stacked pixels, for every kind.
     * A lone image whose outputs include a reduction inside the graph runs as two copies of itself.
     */
    private Map<FeatureKind, float[][]> runSlice(float[] stackedPixels, int first, int size, Set<FeatureKind> kinds) {
        Set<String> outputs = new LinkedHashSet<>();
        for (FeatureKind k : kinds) {
            outputs.add(outputOf(k));
        }
        boolean pad = size == 1 && outputs.stream().anyMatch(FeatureExtractor::reducedInGraph);
        int runSize = pad ? 2 : size;
        FloatBuffer pixels;
        if (pad) {
            float[] twice = new float[2 * inputLength];
            System.arraycopy(stackedPixels, first * inputLength, twice, 0, inputLength);
            System.arraycopy(stackedPixels, first * inputLength, twice, inputLength, inputLength);
            pixels = FloatBuffer.wrap(twice);
        } else {
            pixels = FloatBuffer.wrap(stackedPixels, first * inputLength, size * inputLength).slice();
        }
        long[] shape = {runSize, info.channels(), info.imageSize(), info.imageSize()};
        try (OnnxTensor in = OnnxTensor.createTensor(env, pixels, shape);
             OrtSession.Result r = session.run(Map.of(inputName, in), outputs)) {
            Map<String, float[][]> byOutput = new TreeMap<>();
            int dim = 0;
            for (String name : outputs) {
                OnnxTensor result = (OnnxTensor) r.get(name).orElseThrow();
                FloatBuffer fb = result.getFloatBuffer();
                float[] flat = new float[fb.remaining()];
                fb.get(flat);
                float[][] rows = Batchifier.split(flat, runSize);
                byOutput.put(name, pad ? new float[][] {rows[0]} : rows);
                if (name.equals(FeatureKind.LAST_HIDDEN_STATE.outputName())) {
                    long[] tokenShape = result.getInfo().getShape();
                    dim = Math.toIntExact(tokenShape[tokenShape.length - 1]);
                }
            }
            Map<FeatureKind, float[][]> out = new EnumMap<>(FeatureKind.class);
            for (FeatureKind k : kinds) {
                float[][] source = byOutput.get(outputOf(k));
                float[][] rows = source;
                if (k == FeatureKind.POOLED_GRID || (k == FeatureKind.POOLED && tokens)) {
                    rows = new float[size][];
                    for (int i = 0; i < size; i++) {
                        rows[i] = k == FeatureKind.POOLED ? GridPooling.mean(source[i], dim)
                                : GridPooling.pool(source[i], dim);
                    }
                }
                for (int i = 0; i < size; i++) {
                    requireFinite(rows[i], k, first + i);
                }
                out.put(k, rows);
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException(info.path() + ": ONNX Runtime failed on a batch of " + size + ": "
                    + e.getMessage(), e);
        }
    }

    private void requireFinite(float[] row, FeatureKind kind, int image) {
        for (int j = 0; j < row.length; j++) {
            if (!Float.isFinite(row[j])) {
                throw new NonFiniteFeatureException(info.path() + " (" + info.modelId() + "): feature " + kind
                        + " of image " + image + " of the batch is not finite (value " + j + " is " + row[j]
                        + "); expected finite values: check the input pixels and the model's weights", image, kind);
            }
        }
    }

    /** Decodes with the extractor's pixel limit; {@code what} names the input in the refusal. */
    private Image decode(byte[] encoded, String what) {
        try {
            return Image.fromBufferedImage(decoder.decode(encoded, what));
        } catch (BoundedImageDecoder.DecodeException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Closes the session. Idempotent; calls already running finish first, later calls throw
     * {@link IllegalStateException}.
     */
    @Override
    public void close() {
        closed = true;
        Lock exclusive = lifecycle.writeLock();
        exclusive.lock();
        try {
            if (lanes.isClosed()) {
                return;
            }
            lanes.close();
            closeQuietly(session);
        } finally {
            exclusive.unlock();
        }
    }

    /**
     * The intra-op thread count for a requested value: {@code requested}, or one per available
     * processor when it is 0 (see {@link ExtractorOptions#intraOpThreads()}).
     */
    public static int intraOpThreads(int requested) {
        return intraOpThreads(requested, 1);
    }

    /**
     * Intra-op threads of each run when a batch is run by {@code lanes} workers: {@code requested},
     * or the available processors shared among the lanes (at least one each) when it is 0.
     */
    public static int intraOpThreads(int requested, int lanes) {
        return requested > 0 ? requested : Math.max(1, Runtime.getRuntime().availableProcessors() / lanes);
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the ONNX Runtime session failed: " + e.getMessage());
        }
    }
}
