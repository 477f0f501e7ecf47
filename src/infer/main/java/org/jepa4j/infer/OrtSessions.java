package org.jepa4j.infer;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.jepa4j.infer.internal.GridPooling;
import org.jepa4j.io.Messages;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Opening an exported encoder in ONNX Runtime for {@link FeatureExtractor}: the session on the asked
 * execution provider (with the CPU fallback of {@code auto}), its options, and what the session says
 * of the model (its image input, the length of each feature it offers).
 */
final class OrtSessions {
    private static final System.Logger LOG = System.getLogger(FeatureExtractor.class.getName());

    private OrtSessions() {
    }

    record SessionStart(OrtSession session, ExecutionProvider provider) {
    }

    /**
     * A session on the asked provider. CUDA or TensorRT that cannot start is an error; AUTO takes CUDA
     * when ONNX Runtime offers it and it starts, otherwise the CPU with one log line.
     */
    static SessionStart startSession(OrtEnvironment env, Path model, ExtractorOptions options)
            throws IOException {
        if (java.nio.file.Files.size(model) == 0) {
            throw new IOException(model + ": an empty file (0 bytes), expected an ONNX model such as"
                    + " 'jepa4j export' writes");
        }
        ExecutionProvider asked = options.provider();
        String gpuFailure = null;
        try (OrtSession.SessionOptions so = baseOptions(options)) {
            ExecutionProvider provider = ExecutionProvider.CPU;
            switch (asked) {
                case CPU -> { }
                case CUDA, AUTO -> {
                    if (asked == ExecutionProvider.CUDA
                            || OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA)) {
                        try {
                            so.addCUDA(options.deviceId());
                            provider = ExecutionProvider.CUDA;
                        } catch (OrtException | RuntimeException | LinkageError e) {
                            gpuFailure = "CUDA could not start (" + Messages.oneLine(e) + ")";
                        }
                    } else {
                        gpuFailure = "this ONNX Runtime build offers no CUDA";
                    }
                }
                case TENSORRT -> {
                    try {
                        so.addTensorrt(options.deviceId());
                        provider = ExecutionProvider.TENSORRT;
                        try {
                            // nodes TensorRT does not take go to CUDA rather than CPU
                            so.addCUDA(options.deviceId());
                        } catch (OrtException | RuntimeException | LinkageError e) {
                            // TensorRT alone still runs; CPU takes what it does not
                        }
                    } catch (OrtException | RuntimeException | LinkageError e) {
                        gpuFailure = "TensorRT could not start (" + Messages.oneLine(e) + ")";
                    }
                }
                default -> throw new IllegalStateException(asked.toString());
            }
            if (gpuFailure != null && asked != ExecutionProvider.AUTO) {
                throw providerError(model, asked, gpuFailure);
            }
            try {
                OrtSession s = env.createSession(model.toString(), so);
                if (gpuFailure != null) {
                    LOG.log(System.Logger.Level.INFO, "execution provider auto: " + gpuFailure + "; running "
                            + model.getFileName() + " on CPU");
                }
                return new SessionStart(s, provider);
            } catch (OrtException e) {
                if (provider == ExecutionProvider.CPU) {
                    throw new IOException(model + ": not an ONNX model ONNX Runtime can load: " + e.getMessage(), e);
                }
                gpuFailure = provider.label() + " failed when creating the session (" + Messages.oneLine(e) + ")";
                if (asked != ExecutionProvider.AUTO) {
                    throw providerError(model, asked, gpuFailure);
                }
            }
            try (OrtSession.SessionOptions cpu = baseOptions(options)) {
                OrtSession s = env.createSession(model.toString(), cpu);
                LOG.log(System.Logger.Level.INFO, "execution provider auto: " + gpuFailure + "; running "
                        + model.getFileName() + " on CPU");
                return new SessionStart(s, ExecutionProvider.CPU);
            } catch (OrtException e) {
                throw new IOException(model + ": not an ONNX model ONNX Runtime can load: " + e.getMessage(), e);
            }
        } catch (OrtException e) {
            throw new IOException(model + ": ONNX Runtime session options failed: " + e.getMessage(), e);
        }
    }

    private static IllegalStateException providerError(Path model, ExecutionProvider asked, String why) {
        return new IllegalStateException(model + ": execution provider " + asked.label() + " was asked for but " + why
                + "; build with -Pgpu on a machine with an NVIDIA GPU, or ask for auto to fall back to the CPU");
    }

    private static OrtSession.SessionOptions baseOptions(ExtractorOptions options) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(FeatureExtractor.intraOpThreads(options.intraOpThreads(), options.lanes()));
        so.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
        so.setOptimizationLevel(switch (options.optimization()) {
            case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
            case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
            case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
            case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
        });
        return so;
    }

    static Map.Entry<String, NodeInfo> imageInput(Path model, OrtSession session) throws OrtException {
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
    static Map<FeatureKind, Integer> featureLengths(OrtSession session) throws OrtException {
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


}
