package org.jepa4j.importer;

import org.jepa4j.checkpoint.Safetensors;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A safetensors file in the layout of Hugging Face transformers' {@code IJepaModel}
 * ({@code embeddings.patch_embeddings.projection.*}, {@code embeddings.position_embeddings},
 * {@code encoder.layer.{i}.attention.attention.query|key|value.*}, ..., {@code layernorm.*}),
 * the inverse of transformers' {@code convert_ijepa_to_hf.py}. It holds one encoder (the
 * released checkpoints' {@code encoder}), so it is offered as both {@code encoder.} and
 * {@code target_encoder.}; there is no predictor. Query, key and value are concatenated into
 * the reference's {@code attn.qkv} in that order. A leading {@code ijepa.} (the prefix of
 * {@code IJepaForImageClassification}) is removed; pooler and classifier tensors are ignored.
 *
 * <p>The whole file is read into memory (one encoder: about 2.5 GB for ViT-H/14 in float32).
 */
public final class HuggingFaceIJepa implements WeightSource {
    private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.(.+)");
    private static final Map<String, String> LAYER_NAMES = Map.of(
            "layernorm_before.weight", "norm1.weight",
            "layernorm_before.bias", "norm1.bias",
            "attention.output.dense.weight", "attn.proj.weight",
            "attention.output.dense.bias", "attn.proj.bias",
            "layernorm_after.weight", "norm2.weight",
            "layernorm_after.bias", "norm2.bias",
            "intermediate.dense.weight", "mlp.fc1.weight",
            "intermediate.dense.bias", "mlp.fc1.bias",
            "output.dense.weight", "mlp.fc2.weight",
            "output.dense.bias", "mlp.fc2.bias");
    private static final Map<String, String> TOP_NAMES = Map.of(
            "embeddings.position_embeddings", "pos_embed",
            "embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight",
            "embeddings.patch_embeddings.projection.bias", "patch_embed.proj.bias",
            "layernorm.weight", "norm.weight",
            "layernorm.bias", "norm.bias");

    private final Path file;
    private final NamedTensors encoder;
    private final Map<String, long[]> shapes;
    private final List<String> notes;

    private HuggingFaceIJepa(Path file, NamedTensors encoder, List<String> notes) {
        this.file = file;
        this.encoder = encoder;
        this.notes = notes;
        Map<String, long[]> s = new LinkedHashMap<>();
        for (String part : List.of(ParameterNames.ENCODER, ParameterNames.TARGET_ENCODER)) {
            encoder.asMap().forEach((k, v) -> s.put(part + k, v.shape().clone()));
        }
        this.shapes = s;
    }

    /**
     * Reads the file and maps it to the reference's encoder names.
     *
     * @throws IOException naming the file when it is not safetensors
     * @throws ImportException naming the tensor when q/k/v are incomplete or disagree in shape
     */
    public static HuggingFaceIJepa open(Path file) throws IOException, ImportException {
        Safetensors.Contents c = Safetensors.read(file);
        List<String> notes = new ArrayList<>();
        notes.add("a Hugging Face IJepaModel holds one encoder: imported as both encoder and target_encoder;"
                + " no predictor weights (training from this checkpoint starts a fresh predictor)");
        return new HuggingFaceIJepa(file, toReference(c.tensors(), notes), notes);
    }

    /**
     * Renames an {@code IJepaModel} state dict to the reference's encoder names (no part prefix).
     * Names it does not know are kept unchanged, so the shape check reports them as unexpected;
     * pooler/classifier tensors are dropped with a note.
     *
     * @throws ImportException naming the block when query, key or value is missing or misshapen
     */
    public static NamedTensors toReference(NamedTensors hf, List<String> notes) throws ImportException {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        Map<Integer, FloatTensor[]> qkvWeight = new java.util.TreeMap<>();
        Map<Integer, FloatTensor[]> qkvBias = new java.util.TreeMap<>();
        List<String> ignored = new ArrayList<>();
        for (Map.Entry<String, FloatTensor> e : hf.asMap().entrySet()) {
            String name = e.getKey().startsWith("ijepa.") ? e.getKey().substring("ijepa.".length()) : e.getKey();
            FloatTensor t = e.getValue();
            if (name.startsWith("pooler.") || name.startsWith("classifier.") || name.equals("embeddings.mask_token")) {
                ignored.add(e.getKey());
                continue;
            }
            String top = TOP_NAMES.get(name);
            if (top != null) {
                out.put(top, t);
                continue;
            }
            Matcher m = LAYER.matcher(name);
            if (m.matches()) {
                int layer = Integer.parseInt(m.group(1));
                String rest = m.group(2);
                String mapped = LAYER_NAMES.get(rest);
                if (mapped != null) {
                    out.put("blocks." + layer + "." + mapped, t);
                    continue;
                }
                int which = switch (rest) {
                    case "attention.attention.query.weight", "attention.attention.query.bias" -> 0;
                    case "attention.attention.key.weight", "attention.attention.key.bias" -> 1;
                    case "attention.attention.value.weight", "attention.attention.value.bias" -> 2;
                    default -> -1;
                };
                if (which >= 0) {
                    Map<Integer, FloatTensor[]> target = rest.endsWith("weight") ? qkvWeight : qkvBias;
                    target.computeIfAbsent(layer, k -> new FloatTensor[3])[which] = t;
                    // keep the reference's order: qkv where q would be
                    out.putIfAbsent("blocks." + layer + ".attn.qkv." + (rest.endsWith("weight") ? "weight" : "bias"), null);
                    continue;
                }
            }
            out.put(e.getKey(), t);
        }
        for (var parts : List.of(Map.entry("weight", qkvWeight), Map.entry("bias", qkvBias))) {
            for (Map.Entry<Integer, FloatTensor[]> e : parts.getValue().entrySet()) {
                String name = "blocks." + e.getKey() + ".attn.qkv." + parts.getKey();
                out.put(name, concatRows(e.getKey(), parts.getKey(), e.getValue()));
            }
        }
        if (!ignored.isEmpty()) {
            notes.add("ignored tensors not part of the I-JEPA encoder: " + ignored);
        }
        NamedTensors.Builder b = NamedTensors.builder();
        out.forEach(b::put);
        return b.build();
    }

    /** Stacks q, k, v along the first axis: Linear weights [D, D] → [3D, D], biases [D] → [3D]. */
    private static FloatTensor concatRows(int layer, String kind, FloatTensor[] qkv) throws ImportException {
        String[] names = {"query", "key", "value"};
        for (int i = 0; i < 3; i++) {
            if (qkv[i] == null) {
                throw new ImportException("tensor 'encoder.layer." + layer + ".attention.attention." + names[i] + "."
                        + kind + "' is missing (query, key and value are needed to build blocks." + layer
                        + ".attn.qkv." + kind + ")");
            }
            if (!java.util.Arrays.equals(qkv[i].shape(), qkv[0].shape())) {
                throw new ImportException("tensor 'encoder.layer." + layer + ".attention.attention." + names[i] + "."
                        + kind + "' has shape " + qkv[i].shapeString() + " but the query's is " + qkv[0].shapeString());
            }
        }
        long[] shape = qkv[0].shape().clone();
        shape[0] *= 3;
        int n = qkv[0].data().length;
        float[] data = new float[3 * n];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(qkv[i].data(), 0, data, i * n, n);
        }
        return new FloatTensor(shape, data);
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public String format() {
        return "Hugging Face IJepaModel safetensors";
    }

    @Override
    public Map<String, long[]> shapes() {
        return shapes;
    }

    @Override
    public FloatTensor load(String name) {
        for (String part : List.of(ParameterNames.ENCODER, ParameterNames.TARGET_ENCODER)) {
            if (name.startsWith(part)) {
                return encoder.get(name.substring(part.length()));
            }
        }
        throw new IllegalArgumentException(file + ": no tensor '" + name + "'");
    }

    @Override
    public String sourceName(String name) {
        String local = name;
        for (String part : List.of(ParameterNames.ENCODER, ParameterNames.TARGET_ENCODER)) {
            if (name.startsWith(part)) {
                local = name.substring(part.length());
            }
        }
        for (Map.Entry<String, String> e : TOP_NAMES.entrySet()) {
            if (e.getValue().equals(local)) {
                return e.getKey();
            }
        }
        Matcher m = Pattern.compile("blocks\\.(\\d+)\\.(.+)").matcher(local);
        if (m.matches()) {
            String prefix = "encoder.layer." + m.group(1) + ".";
            if (m.group(2).startsWith("attn.qkv.")) {
                String kind = m.group(2).substring("attn.qkv.".length());
                return prefix + "attention.attention.{query,key,value}." + kind;
            }
            for (Map.Entry<String, String> e : LAYER_NAMES.entrySet()) {
                if (e.getValue().equals(m.group(2))) {
                    return prefix + e.getKey();
                }
            }
        }
        return local;
    }

    @Override
    public Map<String, Object> trainingState() {
        return Map.of();
    }

    @Override
    public List<String> notes() {
        return notes;
    }

    @Override
    public void close() {
    }
}
