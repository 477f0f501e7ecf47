package org.jepa4j.cluster;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TF_CONFIG and --cluster descriptions: ranks as TensorFlow's resolver gives them, and one clear error each. */
class ClusterSpecTest {

    @Test
    void chiefIsRankZeroAndWorkersFollowIt() {
        ClusterSpec c = TfConfig.parse("{\"cluster\": {\"worker\": [\"h1:2222\", \"h2:2222\"], \"chief\": [\"h0:2222\"]},"
                + " \"task\": {\"type\": \"worker\", \"index\": 1}, \"rpc_layer\": \"grpc\"}");
        assertEquals(3, c.size());
        assertEquals(2, c.rank());
        assertFalse(c.isChief());
        assertEquals("/job:chief/replica:0/task:0", c.leader());
        assertEquals("/job:worker/replica:0/task:1", c.self().deviceName());
        assertEquals("h2", c.self().host());
        assertEquals(2222, c.self().port());
        assertEquals(new ClusterSpec.Task(ClusterSpec.WORKER, 0, "h1:2222"), c.task(1));
    }

    @Test
    void withoutAChiefWorkerZeroLeads() {
        ClusterSpec c = ClusterSpec.ofWorkers("127.0.0.1:4000, 127.0.0.1:4001", 0);
        assertTrue(c.isChief());
        assertEquals(2, c.size());
        assertEquals("/job:worker/replica:0/task:0", c.leader());
        assertEquals(c, TfConfig.parse("{\"cluster\": {\"worker\": [\"127.0.0.1:4000\", \"127.0.0.1:4001\"]},"
                + " \"task\": {\"type\": \"worker\", \"index\": 0}}"));
    }

    @Test
    void malformedTfConfigIsOneClearError() {
        assertMessage("TF_CONFIG is not JSON", () -> TfConfig.parse("{cluster: "));
        assertMessage("'cluster' is missing", () -> TfConfig.parse("{\"task\": {\"type\": \"worker\", \"index\": 0}}"));
        assertMessage("cluster.worker is not a list", () -> TfConfig.parse(
                "{\"cluster\": {\"worker\": \"h:1\"}, \"task\": {\"type\": \"worker\", \"index\": 0}}"));
        assertMessage("task.index is \"0\"", () -> TfConfig.parse(
                "{\"cluster\": {\"worker\": [\"h:1\"]}, \"task\": {\"type\": \"worker\", \"index\": \"0\"}}"));
        assertMessage("rpc_layer 'grpc+verbs' is not supported", () -> TfConfig.parse(
                "{\"cluster\": {\"worker\": [\"h:1\"]}, \"task\": {\"type\": \"worker\", \"index\": 0},"
                        + " \"rpc_layer\": \"grpc+verbs\"}"));
        assertMessage("cluster job 'ps' is not supported", () -> TfConfig.parse(
                "{\"cluster\": {\"worker\": [\"h:1\"], \"ps\": [\"h:2\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}"));
        assertMessage("task type 'evaluator' is not a job", () -> TfConfig.parse(
                "{\"cluster\": {\"worker\": [\"h:1\"]}, \"task\": {\"type\": \"evaluator\", \"index\": 0}}"));
    }

    @Test
    void badAddressesAndIndicesAreOneClearError() {
        assertMessage("'127.0.0.1:4000' is listed twice", () -> ClusterSpec.ofWorkers("127.0.0.1:4000,127.0.0.1:4000", 0));
        assertMessage("task index 2 is out of range for job 'worker' with 2 tasks, expected 0..1",
                () -> ClusterSpec.ofWorkers("h:1,h:2", 2));
        assertMessage("task index -1 is out of range", () -> ClusterSpec.ofWorkers("h:1,h:2", -1));
        assertMessage("port 70000 of 'h:70000' is outside 1..65535", () -> ClusterSpec.ofWorkers("h:70000", 0));
        assertMessage("port 'x' of 'h:x' is not a number", () -> ClusterSpec.ofWorkers("h:x", 0));
        assertMessage("'h' is not host:port", () -> ClusterSpec.ofWorkers("h", 0));
        assertMessage("has an empty entry", () -> ClusterSpec.ofWorkers("h:1,,h:2", 0));
        assertMessage("job 'chief' has 2 tasks, expected at most one", () -> TfConfig.parse(
                "{\"cluster\": {\"chief\": [\"h:1\", \"h:2\"]}, \"task\": {\"type\": \"chief\", \"index\": 0}}"));
    }

    @Test
    void aPortInUseIsReportedBeforeTheServerStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            ClusterSpec c = ClusterSpec.ofWorkers("127.0.0.1:" + taken.getLocalPort() + ",127.0.0.1:1", 0);
            assertMessage("port " + taken.getLocalPort() + " of worker 0 127.0.0.1:" + taken.getLocalPort()
                    + " is already in use", () -> ClusterServer.start(c, org.tensorflow.proto.ConfigProto.getDefaultInstance()));
        }
    }

    @Test
    void slicesOfAGlobalBatchAreContiguousAndCoverIt() {
        for (int batch : new int[] {2, 5, 64, 65}) {
            for (int replicas = 1; replicas <= Math.min(batch, 5); replicas++) {
                int next = 0;
                for (int r = 0; r < replicas; r++) {
                    int[] s = Replication.sliceOf(batch, r, replicas);
                    assertEquals(next, s[0], batch + "/" + replicas + " rank " + r);
                    assertTrue(s[1] - s[0] == batch / replicas || s[1] - s[0] == batch / replicas + 1);
                    next = s[1];
                }
                assertEquals(batch, next);
            }
        }
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        ClusterConfigException ex = assertThrows(ClusterConfigException.class, e);
        assertTrue(ex.getMessage().contains(part), ex.getMessage());
        assertFalse(ex.getMessage().contains("\n"), "one line: " + ex.getMessage());
    }
}
