package org.jepa4j.graph;

import org.jepa4j.model.ParameterNames;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The graph operand holding one parameter of a model part, looked up by its reference name
 * without the part prefix ({@code blocks.0.attn.qkv.weight}, {@code predictor_embed.bias}).
 * Shapes are the reference's ({@link ParameterNames}): Linear weights {@code [out, in]}.
 */
@FunctionalInterface
public interface ParameterLookup {
    /**
     * @throws IllegalArgumentException naming the parameter when the part has none of that name
     */
    Operand<TFloat32> get(String name);
}
