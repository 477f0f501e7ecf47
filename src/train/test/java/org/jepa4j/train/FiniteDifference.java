package org.jepa4j.train;

import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Central differences of a double-precision loss in one parameter element, to check graph gradients. */
final class FiniteDifference {
    /** Step added to and taken from the element (in float, so the step actually taken is used). */
    static final double STEP = 1e-3;

    private FiniteDifference() {
    }

    /** {@code (loss(w + h·e) − loss(w − h·e)) / 2h} for element {@code idx} of tensor {@code name}. */
    static double of(NamedTensors weights, String name, int idx, ToDoubleFunction<NamedTensors> loss) {
        float p = weights.get(name).data()[idx];
        float plus = (float) (p + STEP);
        float minus = (float) (p - STEP);
        double lp = loss.applyAsDouble(withElement(weights, name, idx, plus));
        double lm = loss.applyAsDouble(withElement(weights, name, idx, minus));
        return (lp - lm) / ((double) plus - (double) minus);
    }

    /** {@code weights} with element {@code idx} of {@code name} set to {@code value}. */
    static NamedTensors withElement(NamedTensors weights, String name, int idx, float value) {
        FloatTensor t = weights.get(name).copy();
        t.data()[idx] = value;
        Map<String, FloatTensor> m = new LinkedHashMap<>(weights.asMap());
        m.put(name, t);
        return NamedTensors.of(m);
    }
}
