package org.jepa4j.tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An ordered, immutable map from tensor name to {@link FloatTensor}: a state dict.
 *
 * <p>Names follow the official PyTorch state dicts without the DDP {@code module.} prefix, under
 * a part prefix: {@code encoder.}, {@code target_encoder.}, {@code predictor.} (for example
 * {@code target_encoder.blocks.0.attn.qkv.weight [3D, D]}); optimizer moments live under
 * {@code optimizer.exp_avg.} and {@code optimizer.exp_avg_sq.} followed by the parameter name.
 * See {@link org.jepa4j.checkpoint.Checkpoint} for the full layout.
 */
public final class NamedTensors {
    private final Map<String, FloatTensor> tensors;

    private NamedTensors(Map<String, FloatTensor> tensors) {
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    public static NamedTensors of(Map<String, FloatTensor> tensors) {
        return new NamedTensors(new LinkedHashMap<>(tensors));
    }

    public static NamedTensors empty() {
        return new NamedTensors(new LinkedHashMap<>());
    }

    public Map<String, FloatTensor> asMap() {
        return tensors;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public int size() {
        return tensors.size();
    }

    /**
     * The tensor called {@code name}.
     *
     * @throws IllegalArgumentException naming the tensor when it is absent
     */
    public FloatTensor get(String name) {
        FloatTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("tensor '" + name + "' is missing (have " + tensors.size() + " tensors)");
        }
        return t;
    }

    /**
     * The tensor called {@code name}, checked against the expected shape.
     *
     * @throws IllegalArgumentException naming the tensor, its shape and the expected one
     */
    public FloatTensor get(String name, long... expectedShape) {
        FloatTensor t = get(name);
        if (!t.hasShape(expectedShape)) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + t.shapeString()
                    + " but " + java.util.Arrays.toString(expectedShape) + " was expected");
        }
        return t;
    }

    /** The tensors whose names start with {@code prefix}, with the prefix removed. */
    public NamedTensors withPrefixRemoved(String prefix) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return new NamedTensors(out);
    }

    /** All tensors with {@code prefix} put in front of their names. */
    public NamedTensors withPrefixAdded(String prefix) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(prefix + k, v));
        return new NamedTensors(out);
    }

    /** The tensors whose names pass the filter. */
    public NamedTensors filter(Predicate<String> keep) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (keep.test(k)) {
                out.put(k, v);
            }
        });
        return new NamedTensors(out);
    }

    /** This map followed by {@code other}; a name in both takes {@code other}'s tensor. */
    public NamedTensors merge(NamedTensors other) {
        Map<String, FloatTensor> out = new LinkedHashMap<>(tensors);
        out.putAll(other.tensors);
        return new NamedTensors(out);
    }


    /** Builds a {@link NamedTensors} in insertion order. */
    public static final class Builder {
        private final Map<String, FloatTensor> map = new LinkedHashMap<>();

        public Builder put(String name, FloatTensor tensor) {
            if (map.put(name, tensor) != null) {
                throw new IllegalArgumentException("tensor '" + name + "' added twice");
            }
            return this;
        }

        public NamedTensors build() {
            return new NamedTensors(new LinkedHashMap<>(map));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NamedTensors n && tensors.equals(n.tensors);
    }

    @Override
    public int hashCode() {
        return tensors.hashCode();
    }

    @Override
    public String toString() {
        return "NamedTensors" + tensors.keySet();
    }
}
