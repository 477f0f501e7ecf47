package org.jepa4j.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Who takes part in a synchronous data-parallel run and which of them this process is: the
 * cluster description of TensorFlow's {@code TF_CONFIG} convention ({@link TfConfig}) or of
 * {@code train --cluster host:port,... --task-index I}.
 *
 * <p>Jobs are {@code chief} (at most one task) and {@code worker}; every task trains. Ranks follow
 * TensorFlow's cluster resolver: the chief is rank 0, worker {@code i} is rank {@code i + chiefs}.
 * Rank 0 is the chief of the run (with no chief job, worker 0): it writes the run folder, its
 * initial weights are broadcast to every replica, and it leads the collectives.
 *
 * @param jobs      job name → task addresses ({@code host:port}) in task-index order; chief first
 * @param taskType  this process's job
 * @param taskIndex this process's index in its job
 */
public record ClusterSpec(Map<String, List<String>> jobs, String taskType, int taskIndex) {
    /** The chief's job name. */
    public static final String CHIEF = "chief";
    /** The workers' job name. */
    public static final String WORKER = "worker";
    /** The job names a training cluster may have, in rank order. */
    public static final List<String> JOBS = List.of(CHIEF, WORKER);

    /**
     * Checks the description: known jobs, at most one chief, {@code host:port} addresses with
     * ports in 1..65535, no address twice, this task inside its job.
     *
     * @throws ClusterConfigException naming the job, the task and what was expected
     */
    public ClusterSpec {
        Map<String, List<String>> ordered = new LinkedHashMap<>();
        for (String job : jobs.keySet()) {
            if (!JOBS.contains(job)) {
                throw new ClusterConfigException("cluster job '" + job + "' is not supported, expected " + JOBS
                        + " (synchronous all-reduce training has no parameter servers or evaluators)");
            }
        }
        Set<String> seen = new HashSet<>();
        for (String job : JOBS) {
            List<String> tasks = jobs.get(job);
            if (tasks == null) {
                continue;
            }
            if (tasks.isEmpty()) {
                throw new ClusterConfigException("cluster job '" + job + "' has no tasks, expected at least one host:port");
            }
            if (job.equals(CHIEF) && tasks.size() > 1) {
                throw new ClusterConfigException("cluster job 'chief' has " + tasks.size()
                        + " tasks, expected at most one");
            }
            for (int i = 0; i < tasks.size(); i++) {
                String where = "cluster " + job + "[" + i + "]";
                String address = tasks.get(i);
                port(where, address);
                if (!seen.add(address.toLowerCase(Locale.ROOT))) {
                    throw new ClusterConfigException(where + ": '" + address + "' is listed twice, expected a distinct"
                            + " host:port for every task");
                }
            }
            ordered.put(job, List.copyOf(tasks));
        }
        if (ordered.isEmpty()) {
            throw new ClusterConfigException("cluster has no tasks, expected a 'worker' (and optionally a 'chief') job");
        }
        if (taskType == null || !ordered.containsKey(taskType)) {
            throw new ClusterConfigException("task type '" + taskType + "' is not a job of the cluster, expected one of "
                    + ordered.keySet());
        }
        int n = ordered.get(taskType).size();
        if (taskIndex < 0 || taskIndex >= n) {
            throw new ClusterConfigException("task index " + taskIndex + " is out of range for job '" + taskType
                    + "' with " + n + " task" + (n == 1 ? "" : "s") + ", expected 0.." + (n - 1));
        }
        jobs = java.util.Collections.unmodifiableMap(ordered);
    }

    /**
     * {@code train --cluster host:port,host:port,... --task-index I}: one {@code worker} job, task I.
     *
     * @throws ClusterConfigException for an empty list or a bad address or index
     */
    public static ClusterSpec ofWorkers(String addresses, int taskIndex) {
        List<String> tasks = new ArrayList<>();
        for (String a : addresses.split(",", -1)) {
            String t = a.strip();
            if (t.isEmpty()) {
                throw new ClusterConfigException("--cluster '" + addresses + "' has an empty entry, expected"
                        + " host:port,host:port,...");
            }
            tasks.add(t);
        }
        return new ClusterSpec(Map.of(WORKER, tasks), WORKER, taskIndex);
    }

    /** Tasks in the cluster: every one trains a replica. */
    public int size() {
        return jobs.values().stream().mapToInt(List::size).sum();
    }

    /** This process's rank: 0 for the chief, {@code index + chiefs} for a worker. */
    public int rank() {
        return rankOf(taskType, taskIndex);
    }

    /** Whether this process is rank 0, the one that writes the run folder. */
    public boolean isChief() {
        return rank() == 0;
    }

    private int rankOf(String job, int index) {
        return job.equals(CHIEF) ? index : index + jobs.getOrDefault(CHIEF, List.of()).size();
    }

    /** The job and index of a rank. */
    public Task task(int rank) {
        if (rank < 0 || rank >= size()) {
            throw new IllegalArgumentException("rank " + rank + " is outside the cluster of " + size() + " tasks");
        }
        int chiefs = jobs.getOrDefault(CHIEF, List.of()).size();
        return rank < chiefs ? new Task(CHIEF, rank, jobs.get(CHIEF).get(rank))
                : new Task(WORKER, rank - chiefs, jobs.get(WORKER).get(rank - chiefs));
    }

    /** This process's task. */
    public Task self() {
        return task(rank());
    }

    /** The collective group leader: rank 0's TensorFlow task name. */
    public String leader() {
        return task(0).deviceName();
    }

    /** The cluster in one line: {@code 2 tasks (worker 127.0.0.1:4000, worker 127.0.0.1:4001), this is rank 1}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        for (int r = 0; r < size(); r++) {
            parts.add(task(r).toString());
        }
        return size() + " task" + (size() == 1 ? "" : "s") + " (" + String.join(", ", parts) + "), this is rank " + rank()
                + " (" + self().name() + ")";
    }

    /**
     * One task of the cluster.
     *
     * @param job     {@code chief} or {@code worker}
     * @param index   its index in the job
     * @param address {@code host:port} of its TensorFlow server
     */
    public record Task(String job, int index, String address) {
        /** TensorFlow's task name, {@code /job:worker/replica:0/task:1}. */
        public String deviceName() {
            return "/job:" + job + "/replica:0/task:" + index;
        }

        /** {@code worker 1}. */
        public String name() {
            return job + " " + index;
        }

        /** The host part of the address. */
        public String host() {
            return address.substring(0, address.lastIndexOf(':'));
        }

        /** The port of the address. */
        public int port() {
            return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        }

        @Override
        public String toString() {
            return name() + " " + address;
        }
    }

    private static int port(String where, String address) {
        if (address == null) {
            throw new ClusterConfigException(where + ": null, expected host:port");
        }
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new ClusterConfigException(where + ": '" + address + "' is not host:port");
        }
        String p = address.substring(colon + 1);
        int port;
        try {
            port = Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new ClusterConfigException(where + ": port '" + p + "' of '" + address + "' is not a number,"
                    + " expected 1..65535");
        }
        if (port < 1 || port > 65535) {
            throw new ClusterConfigException(where + ": port " + port + " of '" + address + "' is outside 1..65535");
        }
        return port;
    }
}
