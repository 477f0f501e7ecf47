package org.jepa4j.train.step;

import org.jepa4j.graph.GraphVariables;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.tensorflow.Session;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training graph keeps from step to step, as variables: every model parameter (context
 * encoder, predictor, target encoder, the fixed sin-cos tables) and the two AdamW moments of each
 * trained parameter ({@link AdamW#EXP_AVG}, {@link AdamW#EXP_AVG_SQ}). It says which parameters
 * are trained (not the target encoder, not the fixed tables), and reads and loads the whole state
 * in one session run each; this is what a checkpoint holds.
 */
public final class TrainingState {
    private final GraphVariables variables;
    private final List<String> parameterNames;
    private final List<String> trainedNames;
    private final List<String> stateNames;

    /**
     * Creates the variables of every parameter in {@code shapes} and the AdamW moments of the trained ones.
     *
     * @param variables where the variables are created
     * @param shapes    every model parameter's name and shape, in checkpoint order
     */
    public TrainingState(GraphVariables variables, Map<String, long[]> shapes) {
        this.variables = variables;
        shapes.forEach(variables::create);
        parameterNames = List.copyOf(shapes.keySet());
        trainedNames = parameterNames.stream()
                .filter(n -> !n.startsWith(ParameterNames.TARGET_ENCODER) && !ParameterNames.isFrozen(n)).toList();
        List<String> state = new ArrayList<>(parameterNames);
        state.addAll(AdamW.createMoments(variables, trainedNames, shapes));
        stateNames = List.copyOf(state);
    }

    /** The trained parameters (encoder and predictor, without the fixed tables), in checkpoint order. */
    public List<String> trainedNames() {
        return trainedNames;
    }

    /** Number of trained values. */
    public long trainedValueCount() {
        long n = 0;
        for (String t : trainedNames) {
            n += FloatTensor.elementCount(variables.shape(t));
        }
        return n;
    }

    /** Every parameter followed by the AdamW moments of each trained parameter. */
    public NamedTensors read(Session session) {
        return variables.read(session, stateNames);
    }

    /**
     * Loads every parameter and, when present, the AdamW moments (absent moments become zeros).
     *
     * @param trace when true, the names of the devices that ran the load are returned
     * @throws IllegalArgumentException naming a missing parameter, or a tensor with its shape and the
     *                                  expected shape
     */
    public List<String> load(Session session, NamedTensors state, boolean trace) {
        Map<String, FloatTensor> values = new LinkedHashMap<>();
        for (String n : parameterNames) {
            if (!state.contains(n)) {
                throw new IllegalArgumentException("state has no tensor '" + n + "' (model parameters are required; "
                        + "expected names like " + parameterNames.get(0) + ")");
            }
            values.put(n, state.get(n));
        }
        for (String n : stateNames) {
            if (!values.containsKey(n)) {
                values.put(n, state.contains(n) ? state.get(n) : FloatTensor.zeros(variables.shape(n)));
            }
        }
        return variables.assign(session, values, trace);
    }
}
