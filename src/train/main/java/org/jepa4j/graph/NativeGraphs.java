package org.jepa4j.graph;

import org.tensorflow.Graph;
import org.tensorflow.internal.c_api.TF_Graph;

import java.lang.reflect.Field;

/** The TensorFlow C handle behind a Java {@link Graph}, for the few C calls TensorFlow Java does not wrap. */
public final class NativeGraphs {
    private NativeGraphs() {
    }

    /**
     * The graph's {@code TF_Graph}, read from TensorFlow Java's private {@code nativeHandle} field
     * (used to place operations on devices and to open a session on a cluster server).
     */
    public static TF_Graph handle(Graph graph) {
        try {
            Field f = Graph.class.getDeclaredField("nativeHandle");
            f.setAccessible(true);
            return (TF_Graph) f.get(graph);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot reach the native handle of a TensorFlow Graph: " + e, e);
        }
    }
}
