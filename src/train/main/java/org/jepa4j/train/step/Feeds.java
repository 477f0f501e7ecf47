package org.jepa4j.train.step;

import org.jepa4j.graph.Tensors;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

import java.util.ArrayList;
import java.util.List;

/** The tensors fed to one session run, closed together when the run is over. */
public final class Feeds implements AutoCloseable {
    private final List<Tensor> tensors = new ArrayList<>();

    /**
     * @param tensor a tensor to close with the others
     * @param <T>    its type
     * @return {@code tensor}
     */
    public <T extends Tensor> T add(T tensor) {
        tensors.add(tensor);
        return tensor;
    }

    /**
     * Feeds {@code value} as a float32 scalar to {@code placeholder}.
     *
     * @param r           the runner
     * @param placeholder a scalar placeholder
     * @param value       the value
     */
    public void scalar(Session.Runner r, Placeholder<TFloat32> placeholder, double value) {
        r.feed(placeholder, add(Tensors.scalar(value)));
    }

    @Override
    public void close() {
        tensors.forEach(Tensor::close);
        tensors.clear();
    }
}
