package org.jepa4j.train.step;

import org.bytedeco.javacpp.BytePointer;
import org.jepa4j.graph.NativeGraphs;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.internal.c_api.TF_Graph;

import java.util.Iterator;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetRequestedDevice;

/**
 * Pins the ops a graph gained since a mark to one device. Ops built through {@code Ops.withDevice}
 * carry their device, but TensorFlow Java's gradient builder gives the backward ops none (they
 * would all run on device 0); so a tower's forward and backward ops are placed after they are
 * built, with the C API's {@code TF_SetRequestedDevice}, before any session runs the graph.
 */
final class TowerPlacement {
    private TowerPlacement() {
    }

    /** Ops in {@code graph} so far: the mark to {@link #placeSince}. */
    static int mark(Graph graph) {
        int n = 0;
        for (Iterator<?> it = graph.operations(); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }

    /** Requests {@code device} (e.g. {@code /device:CPU:1}) for every op created after {@code mark}. */
    static void placeSince(Graph graph, int mark, String device) {
        TF_Graph g = NativeGraphs.handle(graph);
        Iterator<GraphOperation> it = graph.operations();
        for (int i = 0; it.hasNext(); i++) {
            GraphOperation op = it.next();
            if (i >= mark) {
                try (BytePointer d = new BytePointer(device)) {
                    TF_SetRequestedDevice(g, op.getUnsafeNativeHandle(), d);
                }
            }
        }
    }
}
