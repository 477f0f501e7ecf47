package org.jepa4j.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads TensorFlow's {@code TF_CONFIG} environment variable, the cluster description that
 * Kubeflow's TFJob and common SLURM scripts set:
 *
 * <pre>{"cluster": {"chief": ["host0:2222"], "worker": ["host1:2222", "host2:2222"]},
 *  "task": {"type": "worker", "index": 0}, "rpc_layer": "grpc"}</pre>
 *
 * <p>{@code rpc_layer} is optional and must be {@code grpc} when present; {@code environment}
 * ({@code "cloud"}) is accepted and ignored.
 */
public final class TfConfig {
    /** The environment variable. */
    public static final String VARIABLE = "TF_CONFIG";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TfConfig() {
    }

    /**
     * The cluster of a {@code TF_CONFIG} value.
     *
     * @throws ClusterConfigException naming the field and what was expected
     */
    public static ClusterSpec parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ClusterConfigException(VARIABLE + " is not JSON (" + e.getOriginalMessage()
                    + "), expected {\"cluster\": {\"worker\": [\"host:port\", ...]}, \"task\": {\"type\": \"worker\","
                    + " \"index\": 0}}");
        }
        if (root == null || !root.isObject()) {
            throw new ClusterConfigException(VARIABLE + " is not a JSON object, expected {\"cluster\": ..., \"task\": ...}");
        }
        JsonNode cluster = root.get("cluster");
        if (cluster == null || !cluster.isObject()) {
            throw new ClusterConfigException(VARIABLE + ": 'cluster' is missing or not an object, expected"
                    + " {\"worker\": [\"host:port\", ...]}");
        }
        Map<String, List<String>> jobs = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = cluster.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> job = it.next();
            if (!job.getValue().isArray()) {
                throw new ClusterConfigException(VARIABLE + ": cluster." + job.getKey() + " is not a list, expected"
                        + " [\"host:port\", ...]");
            }
            List<String> tasks = new ArrayList<>();
            for (JsonNode t : job.getValue()) {
                if (!t.isTextual()) {
                    throw new ClusterConfigException(VARIABLE + ": cluster." + job.getKey() + " holds " + t
                            + ", expected \"host:port\" strings");
                }
                tasks.add(t.asText());
            }
            jobs.put(job.getKey(), tasks);
        }
        JsonNode task = root.get("task");
        if (task == null || !task.isObject()) {
            throw new ClusterConfigException(VARIABLE + ": 'task' is missing or not an object, expected"
                    + " {\"type\": \"worker\", \"index\": 0}");
        }
        JsonNode type = task.get("type");
        if (type == null || !type.isTextual()) {
            throw new ClusterConfigException(VARIABLE + ": task.type is " + type + ", expected a job name such as"
                    + " \"worker\"");
        }
        JsonNode index = task.get("index");
        if (index == null || !index.canConvertToInt() || !index.isIntegralNumber()) {
            throw new ClusterConfigException(VARIABLE + ": task.index is " + index + ", expected an integer");
        }
        JsonNode rpc = root.get("rpc_layer");
        if (rpc != null && !rpc.isNull() && !"grpc".equals(rpc.asText())) {
            throw new ClusterConfigException(VARIABLE + ": rpc_layer '" + rpc.asText() + "' is not supported, expected"
                    + " grpc");
        }
        try {
            return new ClusterSpec(jobs, type.asText(), index.asInt());
        } catch (ClusterConfigException e) {
            throw new ClusterConfigException(VARIABLE + ": " + e.getMessage());
        }
    }
}
