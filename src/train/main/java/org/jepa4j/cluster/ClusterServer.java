package org.jepa4j.cluster;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.jepa4j.graph.NativeGraphs;
import org.tensorflow.Graph;
import org.tensorflow.Server;
import org.tensorflow.Session;
import org.tensorflow.internal.c_api.TF_Graph;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.JobDef;
import org.tensorflow.proto.ServerDef;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetConfig;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetTarget;

/**
 * This process's TensorFlow gRPC server in a {@link ClusterSpec}, and sessions on it: graph runs
 * whose collectives meet the other tasks' servers.
 *
 * <p>The collective machinery is made when the server starts, so the group leader (rank 0) goes
 * into the server's default session config, and so do the thread pools (the server's devices
 * run the graph). TensorFlow Java has no public way to open a session on a server target: it is
 * made with the C API ({@code TF_SetTarget}, {@code TF_NewSession}) and wrapped in a Java
 * {@link Session} through its package-private constructor. Such a session runs no initialisers
 * of its own; {@code TrainingGraph} assigns every variable itself.
 *
 * <p>A TensorFlow server cannot be shut down in this version ({@code Server.stop} is
 * unimplemented): it lives until the process exits, so there is no {@code close}; the process
 * ends after training (the command line exits, test workers are separate JVMs).
 */
public final class ClusterServer {
    private final ClusterSpec cluster;
    private final Server server;
    private final ConfigProto sessionConfig;

    private ClusterServer(ClusterSpec cluster, Server server, ConfigProto sessionConfig) {
        this.cluster = cluster;
        this.server = server;
        this.sessionConfig = sessionConfig;
    }

    /**
     * Starts this task's server.
     *
     * @param base thread pools and placement every session of this server uses
     * @throws ClusterConfigException when this task's port is already in use
     */
    public static ClusterServer start(ClusterSpec cluster, ConfigProto base) {
        ClusterSpec.Task self = cluster.self();
        checkPortFree(self);
        ConfigProto config = base.toBuilder()
                .setExperimental(base.getExperimental().toBuilder().setCollectiveGroupLeader(cluster.leader()))
                .build();
        ClusterDef.Builder clusterDef = ClusterDef.newBuilder();
        for (Map.Entry<String, List<String>> job : cluster.jobs().entrySet()) {
            JobDef.Builder j = JobDef.newBuilder().setName(job.getKey());
            for (int i = 0; i < job.getValue().size(); i++) {
                j.putTasks(i, job.getValue().get(i));
            }
            clusterDef.addJob(j);
        }
        ServerDef def = ServerDef.newBuilder()
                .setCluster(clusterDef)
                .setJobName(self.job())
                .setTaskIndex(self.index())
                .setProtocol("grpc")
                .setDefaultSessionConfig(config)
                .build();
        Server server = new Server(def);
        server.start();
        // each session sees only this task's devices, so unpinned ops stay here (as TensorFlow's
        // multi-worker strategy sets it); collectives still reach the other tasks
        ConfigProto session = config.toBuilder().clearDeviceFilters().addDeviceFilters(self.deviceName()).build();
        return new ClusterServer(cluster, server, session);
    }

    /** The cluster this server belongs to. */
    public ClusterSpec cluster() {
        return cluster;
    }

    /** The target of sessions on this server, {@code grpc://localhost:PORT}. */
    public String target() {
        return "grpc://localhost:" + cluster.self().port();
    }

    /** A new session for {@code graph} on this server; the caller closes it (before the graph). */
    public Session openSession(Graph graph) {
        TF_Graph handle = NativeGraphs.handle(graph);
        TF_Session session;
        try (PointerScope scope = new PointerScope()) {
            TF_Status status = TF_Status.newStatus();
            TF_SessionOptions opts = TF_SessionOptions.newSessionOptions();
            TF_SetTarget(opts, target());
            BytePointer bytes = new BytePointer(sessionConfig.toByteArray());
            TF_SetConfig(opts, bytes, bytes.capacity(), status);
            status.throwExceptionIfNotOK();
            TF_Session s = TF_Session.newSession(handle, opts, status);
            status.throwExceptionIfNotOK();
            session = (TF_Session) s.retainReference();
        }
        try {
            Constructor<Session> c = Session.class.getDeclaredConstructor(Graph.class, TF_Session.class);
            c.setAccessible(true);
            return c.newInstance(graph, session);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot wrap a session on " + target() + " (TensorFlow Java's"
                    + " Session(Graph, TF_Session) constructor is not reachable): " + e, e);
        }
    }

    /** TensorFlow's own error for a taken port is a crash-like abort: check it first, with a clear line. */
    private static void checkPortFree(ClusterSpec.Task self) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(self.port()));
        } catch (IOException e) {
            throw new ClusterConfigException("port " + self.port() + " of " + self + " is already in use (" + e.getMessage()
                    + "), expected a free port for this task's server");
        }
    }

    /** The server object (kept referenced so it is never collected while the process trains). */
    Server server() {
        return server;
    }
}
