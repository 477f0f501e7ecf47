package org.jepa4j.importer;

import org.jepa4j.importer.TorchPickle.TensorRef;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.FloatTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint written by the official I-JEPA {@code train.py} ({@code save_checkpoint}): a torch
 * zip archive holding the dict {@code encoder}, {@code predictor}, {@code target_encoder}
 * (state dicts whose keys carry the DDP {@code module.} prefix, stripped here), {@code opt}
 * (AdamW state), {@code epoch}, {@code loss}, {@code batch_size}, {@code world_size}, {@code lr}
 * (docs/reference.md §13: the nested dict and the prefix are what users trip over).
 *
 * <p>Tensors stay in the archive until {@link #load} asks for one. The AdamW moments are mapped
 * to parameter names only when {@code withOptimizer} is set.
 */
public final class OfficialCheckpoint implements WeightSource {
    /** State dict entries of the checkpoint, in jepa4j's part order. */
    public static final List<String> PARTS = List.of("encoder", "predictor", "target_encoder");
    private static final String DDP_PREFIX = "module.";

    private final TorchArchive archive;
    private final Map<String, TensorRef> tensors;
    private final Map<String, long[]> shapes;
    private final Map<String, Object> state;
    private final List<String> notes;

    private OfficialCheckpoint(TorchArchive archive, Map<String, TensorRef> tensors, Map<String, Object> state,
                               List<String> notes) {
        this.archive = archive;
        this.tensors = tensors;
        this.state = state;
        this.notes = notes;
        Map<String, long[]> s = new LinkedHashMap<>();
        tensors.forEach((k, v) -> s.put(k, v.size().clone()));
        this.shapes = s;
    }

    /**
     * Opens an official checkpoint.
     *
     * @param withOptimizer also expose the AdamW moments as {@code optimizer.exp_avg.<part>.<name>}
     *                      and {@code optimizer.exp_avg_sq.<part>.<name>}
     * @throws IOException naming the file and what is missing or malformed
     */
    public static OfficialCheckpoint open(Path file, boolean withOptimizer) throws IOException {
        TorchArchive archive = TorchArchive.open(file);
        try {
            if (!(archive.root() instanceof Map<?, ?> root)) {
                throw new IOException(file + ": expected a dict with encoder/predictor/target_encoder, found "
                        + describe(archive.root()));
            }
            Map<String, TensorRef> tensors = new LinkedHashMap<>();
            List<String> notes = new ArrayList<>();
            Map<String, Map<String, TensorRef>> parts = new LinkedHashMap<>();
            for (String part : PARTS) {
                Object sd = root.get(part);
                if (sd == null) {
                    notes.add("the checkpoint has no '" + part + "' state dict");
                    continue;
                }
                Map<String, TensorRef> p = stateDict(file, part, sd);
                parts.put(part, p);
                p.forEach((k, v) -> tensors.put(part + "." + k, v));
            }
            if (parts.isEmpty()) {
                throw new IOException(file + ": none of " + PARTS + " found; top-level keys are " + root.keySet());
            }
            Map<String, Object> state = new LinkedHashMap<>();
            for (String k : List.of("epoch", "loss", "batch_size", "world_size", "lr")) {
                Object v = root.get(k);
                if (v instanceof Number) {
                    state.put(k, v);
                }
            }
            Object opt = root.get("opt");
            if (opt instanceof Map<?, ?> optMap) {
                OptimizerState os = OptimizerState.map(file, optMap, parts);
                if (os.step() instanceof TensorRef st) {
                    state.put("optimizer_steps", (long) archive.read("opt.state.step", st).data()[0]);
                } else if (os.step() instanceof Number n) {
                    state.put("optimizer_steps", n.longValue());
                }
                if (withOptimizer) {
                    if (!os.layoutMatches()) {
                        throw new IOException(file + ": the AdamW param_groups do not follow helper.init_opt's"
                                + " layout (4 groups: encoder/predictor decayed, then not decayed; expected sizes "
                                + os.expectedSizes() + "), so the moments cannot be named; import without --with-optimizer");
                    }
                    tensors.putAll(os.moments());
                    notes.add("AdamW moments imported for " + os.moments().size() / 2 + " parameters");
                }
            } else if (withOptimizer) {
                throw new IOException(file + ": --with-optimizer was given but the checkpoint has no 'opt' dict");
            }
            return new OfficialCheckpoint(archive, tensors, state, notes);
        } catch (IOException | RuntimeException e) {
            archive.close();
            throw e;
        }
    }

    private static Map<String, TensorRef> stateDict(Path file, String part, Object sd) throws IOException {
        if (!(sd instanceof Map<?, ?> m)) {
            throw new IOException(file + ": '" + part + "' is " + describe(sd) + ", expected a state dict");
        }
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String key = String.valueOf(e.getKey());
            String name = key.startsWith(DDP_PREFIX) ? key.substring(DDP_PREFIX.length()) : key;
            if (!(e.getValue() instanceof TensorRef t)) {
                throw new IOException(file + ": '" + part + "' entry '" + key + "' is " + describe(e.getValue())
                        + ", expected a tensor");
            }
            if (out.put(name, t) != null) {
                throw new IOException(file + ": '" + part + "' has '" + name + "' twice (with and without 'module.')");
            }
        }
        return out;
    }

    static String describe(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    @Override
    public Path file() {
        return archive.file();
    }

    @Override
    public String format() {
        return "official I-JEPA torch checkpoint";
    }

    @Override
    public Map<String, long[]> shapes() {
        return shapes;
    }

    /** The raw reference of a tensor (storage, offset, size, stride). */
    public TensorRef ref(String name) {
        TensorRef r = tensors.get(name);
        if (r == null) {
            throw new IllegalArgumentException(archive.file() + ": no tensor '" + name + "'");
        }
        return r;
    }

    @Override
    public FloatTensor load(String name) throws IOException {
        return archive.read(name, ref(name));
    }

    @Override
    public String sourceName(String name) {
        int dot = name.indexOf('.');
        return dot < 0 || name.startsWith("optimizer.") ? name
                : name.substring(0, dot) + "/" + DDP_PREFIX + name.substring(dot + 1);
    }

    @Override
    public Map<String, Object> trainingState() {
        return state;
    }

    @Override
    public List<String> notes() {
        return notes;
    }

    @Override
    public void close() throws IOException {
        archive.close();
    }

    /**
     * The AdamW state of {@code helper.init_opt}: four parameter groups (encoder decayed,
     * predictor decayed, encoder not decayed, predictor not decayed; docs/reference.md §5),
     * each listing parameter ids in {@code named_parameters()} order; frozen pos-embeds are
     * listed but have no state. {@code step} is AdamW's step counter: a 0-d tensor (torch &gt;= 1.12)
     * or a number.
     */
    record OptimizerState(Object step, Map<String, TensorRef> moments, boolean layoutMatches,
                          List<Integer> expectedSizes) {

        static OptimizerState map(Path file, Map<?, ?> opt, Map<String, Map<String, TensorRef>> parts)
                throws IOException {
            Object groupsObj = opt.get("param_groups");
            Object stateObj = opt.get("state");
            if (!(groupsObj instanceof List<?> groups) || !(stateObj instanceof Map<?, ?> state)) {
                throw new IOException(file + ": 'opt' is not a torch optimizer state_dict (no param_groups/state)");
            }
            List<List<String>> expected = new ArrayList<>();
            for (boolean decayed : new boolean[] {true, false}) {
                for (String part : List.of("encoder", "predictor")) {
                    List<String> names = new ArrayList<>();
                    Map<String, TensorRef> p = parts.get(part);
                    if (p != null) {
                        p.forEach((n, t) -> {
                            if (ParameterNames.isWeightDecayed(n, t.size()) == decayed) {
                                names.add(part + "." + n);
                            }
                        });
                    }
                    expected.add(names);
                }
            }
            Object step = null;
            Map<String, TensorRef> moments = new LinkedHashMap<>();
            Map<String, TensorRef> avgSq = new LinkedHashMap<>();
            boolean layoutMatches = groups.size() == expected.size();
            for (int g = 0; layoutMatches && g < groups.size(); g++) {
                Object params = groups.get(g) instanceof Map<?, ?> gm ? gm.get("params") : null;
                layoutMatches = params instanceof List<?> l && l.size() == expected.get(g).size();
            }
            for (int g = 0; g < groups.size(); g++) {
                List<?> params = (List<?>) ((Map<?, ?>) groups.get(g)).get("params");
                for (int i = 0; i < params.size(); i++) {
                    Object s = state.get(params.get(i));
                    if (!(s instanceof Map<?, ?> sm)) {
                        continue;
                    }
                    // every parameter's step counter is the same: AdamW steps taken so far
                    if (step == null) {
                        step = sm.get("step");
                    }
                    if (!layoutMatches) {
                        continue;
                    }
                    String name = expected.get(g).get(i);
                    if (sm.get("exp_avg") instanceof TensorRef m) {
                        moments.put("optimizer.exp_avg." + name, m);
                    }
                    if (sm.get("exp_avg_sq") instanceof TensorRef v) {
                        avgSq.put("optimizer.exp_avg_sq." + name, v);
                    }
                }
            }
            moments.putAll(avgSq);
            return new OptimizerState(step, moments, layoutMatches, expected.stream().map(List::size).toList());
        }
    }
}
