package org.jepa4j.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs an exported encoder with plain ONNX Runtime (no jepa4j inference code) for export tests. */
final class Ort {
    private Ort() {
    }

    /** All outputs, flattened, for {@code pixels [batch, C, S, S]}. */
    static Map<String, float[]> run(Path model, float[] pixels, int batch, int channels, int size) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model.toString(), o);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels),
                         new long[] {batch, channels, size, size});
                 OrtSession.Result r = s.run(Map.of(EncoderOnnxGraph.INPUT, in))) {
                Map<String, float[]> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : r) {
                    FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
                    float[] v = new float[fb.remaining()];
                    fb.get(v);
                    out.put(e.getKey(), v);
                }
                return out;
            }
        }
    }

    static Map<String, String> metadata(Path model) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions())) {
            return s.getMetadata().getCustomMetadata();
        }
    }
}
