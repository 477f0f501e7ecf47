package org.jepa4j.infer;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.Image;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.onnx.OnnxMetadata;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * Image features from a jepa4j ONNX export with ONNX Runtime:
 * <pre>{@code
 * try (var fx = FeatureExtractor.open(Path.of("encoder.onnx"))) {
 *     float[] v = fx.embed(Path.of("cat.png"));
 * }
 * }</pre>
 * Preprocessing is the evaluation transform ({@link EvalTransform}) with the constants recorded in
 * the model's metadata, so features match what evaluation sees. Safe for concurrent callers: ONNX
 * Runtime sessions are thread-safe for {@code run}, and every call keeps its tensors local.
 */
public final class FeatureExtractor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FeatureExtractor.class.getName());

    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final EvalTransform transform;
    private final ModelInfo info;
    private final int inputLength;
    private final BatchLanes lanes;

    private FeatureExtractor(OrtEnvironment env, OrtSession session, String inputName, EvalTransform transform,
                             ModelInfo info, int lanes) {
        this.env = env;
        this.session = session;
        this.inputName = inputName;
        this.transform = transform;
        this.info = info;
        this.inputLength = info.channels() * info.imageSize() * info.imageSize();
        // slices only pay off on the CPU, where each lane is a core; a GPU takes the batch whole
        this.lanes = new BatchLanes(info.provider().equals("cpu") ? lanes : 1);
    }

    /** Opens a model with {@link ExtractorOptions#defaults()}. */
    public static FeatureExtractor open(Path model) throws IOException {
        return open(model, ExtractorOptions.defaults());
    }

    /**
     * Opens a model.
     *
     * @throws IOException              naming the file when it is missing or not an ONNX model
     * @throws IllegalArgumentException when the model lacks jepa4j metadata (and no preprocessing was
     *                                  given), the requested feature, or an image input {@code [B, C, S, S]}
     */
    public static FeatureExtractor open(Path model, ExtractorOptions options) throws IOException {
        if (!Files.isRegularFile(model)) {
            throw new NoSuchFileException(model.toString(), null, "no such ONNX model file");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        SessionStart start = startSession(env, model, options);
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
            Map.Entry<String, NodeInfo> input = imageInput(model, session);
            long[] inShape = ((TensorInfo) input.getValue().getInfo()).getShape();
            if (inShape[1] != pre.channels() || inShape[2] != pre.imageSize() || inShape[3] != pre.imageSize()) {
                throw new IllegalArgumentException(model + ": input '" + input.getKey() + "' has shape "
                        + java.util.Arrays.toString(inShape) + " but the preprocessing makes " + pre.channels() + "x"
                        + pre.imageSize() + "x" + pre.imageSize() + " images");
            }
            Map<FeatureKind, Integer> lengths = featureLengths(session);
            if (!lengths.containsKey(options.feature())) {
                throw new IllegalArgumentException(model + ": no output '" + options.feature().source().outputName()
                        + "'" + (options.feature() != options.feature().source() ? " with a square token grid of at least "
                        + GridPooling.CELLS + "x" + GridPooling.CELLS + " for " + options.feature() : "")
                        + "; the model has outputs " + session.getOutputNames());
            }
            ModelInfo info = new ModelInfo(modelId(model), model, lengths, options.feature(), pre.imageSize(),
                    pre.channels(), pre, metadata, start.provider());
            return new FeatureExtractor(env, session, input.getKey(), new EvalTransform(pre), info, options.lanes());
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

    public float[] embed(BufferedImage image) {
        return embed(Image.fromBufferedImage(image));
    }

    /**
     * Feature of an image file (any format ImageIO reads: PNG, JPEG, BMP, GIF).
     *
     * @throws IOException              naming the file when it cannot be read
     * @throws IllegalArgumentException naming the file when it is not a decodable image
     */
    public float[] embed(Path imageFile) throws IOException {
        byte[] bytes = Files.readAllBytes(imageFile);
        try {
            return embed(decode(bytes));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(imageFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Feature of an encoded image (PNG, JPEG, BMP, GIF bytes).
     *
     * @throws IllegalArgumentException when the bytes are not a decodable image
     */
    public float[] embed(byte[] encodedImage) {
        return embed(decode(encodedImage));
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
     * Features of {@code count} preprocessed images stacked as {@code [count, C, S, S]} (see
     * {@link Batchifier}); the path every other method ends in.
     */
    public float[][] embedStacked(float[] stackedPixels, int count) {
        if (stackedPixels.length != (long) count * inputLength) {
            throw new IllegalArgumentException("stacked pixels: " + stackedPixels.length + " values, expected "
                    + count + "·" + inputLength);
        }
        if (count == 0) {
            return new float[0][];
        }
        List<float[][]> slices = lanes.run(count, (first, size) -> runSlice(stackedPixels, first, size));
        if (slices.size() == 1) {
            return slices.get(0);
        }
        float[][] rows = new float[count][];
        int at = 0;
        for (float[][] slice : slices) {
            System.arraycopy(slice, 0, rows, at, slice.length);
            at += slice.length;
        }
        return rows;
    }

    /** One session run on images {@code first … first + size − 1} of the stacked pixels. */
    private float[][] runSlice(float[] stackedPixels, int first, int size) {
        long[] shape = {size, info.channels(), info.imageSize(), info.imageSize()};
        FeatureKind feature = info.feature();
        String output = feature.source().outputName();
        FloatBuffer pixels = FloatBuffer.wrap(stackedPixels, first * inputLength, size * inputLength).slice();
        try (OnnxTensor in = OnnxTensor.createTensor(env, pixels, shape);
             OrtSession.Result r = session.run(Map.of(inputName, in), Set.of(output))) {
            OnnxTensor result = (OnnxTensor) r.get(output).orElseThrow();
            FloatBuffer fb = result.getFloatBuffer();
            float[] flat = new float[fb.remaining()];
            fb.get(flat);
            float[][] rows = Batchifier.split(flat, size);
            if (feature == FeatureKind.POOLED_GRID) {
                long[] tokenShape = result.getInfo().getShape();
                int dim = Math.toIntExact(tokenShape[tokenShape.length - 1]);
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = GridPooling.pool(rows[i], dim);
                }
            }
            return rows;
        } catch (OrtException e) {
            throw new IllegalStateException(info.path() + ": ONNX Runtime failed on a batch of " + size + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Decodes encoded image bytes with ImageIO.
     *
     * @throws IllegalArgumentException naming the problem when no reader recognises them
     */
    public static Image decode(byte[] encoded) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException e) {
            throw new IllegalArgumentException("image bytes (" + encoded.length + " bytes) could not be decoded: "
                    + e.getMessage(), e);
        }
        if (img == null) {
            throw new IllegalArgumentException("image bytes (" + encoded.length + " bytes) are not an image format "
                    + "ImageIO can decode (PNG, JPEG, BMP, GIF, WBMP)");
        }
        return Image.fromBufferedImage(img);
    }

    @Override
    public void close() {
        lanes.close();
        closeQuietly(session);
    }

    // ---- session set-up

    private record SessionStart(OrtSession session, String provider) {
    }

    private static SessionStart startSession(OrtEnvironment env, Path model, ExtractorOptions options)
            throws IOException {
        String provider = "cpu";
        try (OrtSession.SessionOptions so = baseOptions(options)) {
            String warning = null;
            switch (options.provider()) {
                case CPU -> { }
                case CUDA -> {
                    try {
                        so.addCUDA(options.deviceId());
                        provider = "cuda";
                    } catch (OrtException | RuntimeException | LinkageError e) {
                        warning = "CUDA could not start (" + oneLine(e) + ")";
                    }
                }
                case TENSORRT -> {
                    try {
                        so.addTensorrt(options.deviceId());
                        provider = "tensorrt";
                        try {
                            // nodes TensorRT does not take go to CUDA rather than CPU
                            so.addCUDA(options.deviceId());
                        } catch (OrtException | RuntimeException | LinkageError e) {
                            // TensorRT alone still runs; CPU takes what it does not
                        }
                    } catch (OrtException | RuntimeException | LinkageError e) {
                        warning = "TensorRT could not start (" + oneLine(e) + ")";
                    }
                }
                case AUTO -> {
                    if (OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA)) {
                        try {
                            so.addCUDA(options.deviceId());
                            provider = "cuda";
                        } catch (OrtException | RuntimeException | LinkageError e) {
                            LOG.log(System.Logger.Level.DEBUG, "auto provider: CUDA unavailable, using CPU: " + oneLine(e));
                        }
                    }
                }
                default -> throw new IllegalStateException(options.provider().toString());
            }
            try {
                OrtSession s = env.createSession(model.toString(), so);
                if (warning != null) {
                    LOG.log(System.Logger.Level.WARNING, warning + "; running " + model.getFileName() + " on CPU");
                }
                return new SessionStart(s, provider);
            } catch (OrtException e) {
                if (provider.equals("cpu")) {
                    throw new IOException(model + ": not an ONNX model ONNX Runtime can load: " + e.getMessage(), e);
                }
                // a GPU provider registered but failed at session creation: retry on CPU
                warning = provider + " failed when creating the session (" + oneLine(e) + ")";
            }
            try (OrtSession.SessionOptions cpu = baseOptions(options)) {
                OrtSession s = env.createSession(model.toString(), cpu);
                LOG.log(System.Logger.Level.WARNING, warning + "; running " + model.getFileName() + " on CPU");
                return new SessionStart(s, "cpu");
            } catch (OrtException e) {
                throw new IOException(model + ": not an ONNX model ONNX Runtime can load: " + e.getMessage(), e);
            }
        } catch (OrtException e) {
            throw new IOException(model + ": ONNX Runtime session options failed: " + e.getMessage(), e);
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

    private static OrtSession.SessionOptions baseOptions(ExtractorOptions options) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(intraOpThreads(options.intraOpThreads(), options.lanes()));
        so.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
        so.setOptimizationLevel(switch (options.optimization()) {
            case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
            case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
            case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
            case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
        });
        return so;
    }

    private static Map.Entry<String, NodeInfo> imageInput(Path model, OrtSession session) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (inputs.size() == 1) {
            Map.Entry<String, NodeInfo> e = inputs.entrySet().iterator().next();
            if (e.getValue().getInfo() instanceof TensorInfo t && t.getShape().length == 4) {
                return e;
            }
        }
        throw new IllegalArgumentException(model + ": expected one image input [batch, C, S, S], found " + inputs.values());
    }

    /** Values per image of each output that is a known feature. */
    private static Map<FeatureKind, Integer> featureLengths(OrtSession session) throws OrtException {
        Map<FeatureKind, Integer> out = new EnumMap<>(FeatureKind.class);
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        for (FeatureKind k : FeatureKind.values()) {
            NodeInfo n = outputs.get(k.source().outputName());
            if (n != null && n.getInfo() instanceof TensorInfo t) {
                long len = 1;
                long[] shape = t.getShape();
                for (int i = 1; i < shape.length; i++) {
                    len *= shape[i];
                }
                if (len <= 0) {
                    continue;
                }
                if (k != k.source()) {
                    // pooled_grid: [batch, tokens, width] with the tokens on a square grid
                    if (shape.length == 3 && GridPooling.supports(shape[1])) {
                        out.put(k, GridPooling.length(Math.toIntExact(shape[2])));
                    }
                } else {
                    out.put(k, Math.toIntExact(len));
                }
            }
        }
        return out;
    }

    /** {@code <file name>@<12 hex digits of SHA-256 over the model file and its external data file>}. */
    static String modelId(Path model) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path data = model.resolveSibling(model.getFileName() + ".data");
        for (Path p : Files.isRegularFile(data) ? List.of(model, data) : List.of(model)) {
            try (InputStream in = Files.newInputStream(p)) {
                byte[] buf = new byte[1 << 16];
                int r;
                while ((r = in.read(buf)) > 0) {
                    md.update(buf, 0, r);
                }
            }
        }
        return model.getFileName() + "@" + HexFormat.of().formatHex(md.digest()).substring(0, 12);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the ONNX Runtime session failed: " + e.getMessage());
        }
    }
}
