package org.jepa4j.cli;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.cluster.ClusterRun;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.net.LoopbackPorts;
import org.jepa4j.testkit.TinyRun;
import org.jepa4j.train.TrainerState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jepa4j train} as a cluster of worker JVMs on 127.0.0.1 ({@code --cluster} and
 * {@code TF_CONFIG}) against one process on the same global batch.
 */
@Tag("slow") // worker JVMs on loopback; together several minutes
class ClusterTrainTest {
    /**
     * The tiny run (32 synthetic 16x16 grey images, batch 8: 4 steps per epoch) with two inter-op
     * threads, so a worker's collective waits for its peer beside the step's other ops.
     */
    static final List<String> TINY = TinyRun.standard().with("meta.inter_op_threads", 2).args();

    @TempDir
    Path tmp;

    static List<String> args(Path out, long maxSteps, String... more) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(TINY);
        a.addAll(List.of("--set", "optimization.max_steps=" + maxSteps, "--out", out.toString()));
        a.addAll(List.of(more));
        return a;
    }

    static int inProcess(List<String> args) {
        StringWriter err = new StringWriter();
        var cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args.toArray(String[]::new));
        assertEquals(0, code, err.toString());
        return code;
    }

    @Test
    void twoWorkersTrainTheOneProcessRunAlsoWhenResumedWithTwoOrOne() throws Exception {
        Path single = tmp.resolve("single");
        inProcess(args(single, 8));

        // 3 steps on 2 workers, resumed with 2 workers to 5, then with one process to 8: the same run
        // as one process throughout. One collective sums the two slices' gradients where one process
        // sums the whole batch's: the same step up to float rounding (1e-6 on the loss; parameters
        // 1e-5, far below Adam's lr-sized steps)
        Path shared = tmp.resolve("shared");
        String c2 = LoopbackPorts.cluster(2);
        Workers.start(tmp, List.of(args(shared, 3, "--cluster", c2, "--task-index", "0"),
                args(shared, 3, "--cluster", c2, "--task-index", "1")), List.of()).awaitAll(0);
        String c3 = LoopbackPorts.cluster(2);
        Workers again = Workers.start(tmp, List.of(args(shared, 5, "--cluster", c3, "--task-index", "0", "--resume"),
                args(shared, 5, "--cluster", c3, "--task-index", "1", "--resume")), List.of());
        again.awaitAll(0);
        assertTrue(again.log(1).contains("resuming at step 3"), again.log(1));
        assertTrue(again.log(1).contains("this is rank 1"), again.log(1));
        assertEquals(2, Provenance.parse(Files.readString(shared.resolve("provenance.json"))).details()
                .get(ClusterRun.PROVENANCE_CLUSTER_SIZE));
        Workers one = Workers.start(tmp, List.of(args(shared, 8, "--resume")), List.of());
        one.awaitAll(0);
        assertTrue(one.log(0).contains("resuming with 1 worker a run that had 2"), one.log(0));
        assertRunsAgree(single, shared, 8);
    }

    @ParameterizedTest(name = "worker {0} killed")
    @ValueSource(ints = {1, 0})
    void killingEitherWorkerMidRunStopsTheOtherWithTheTaskNamed(int victim) throws Exception {
        Path run = tmp.resolve("killed");
        int[] ports = LoopbackPorts.distinct(2);
        List<List<String>> cmds = new ArrayList<>();
        List<String> envs = new ArrayList<>();
        Path other = tmp.resolve("other");
        for (int i = 0; i < 2; i++) {
            // separate folders: the chief's holds the run, the other worker's stays empty
            cmds.add(args(i == 0 ? run : other, 100000, "--set", "optimization.epochs=100000", "--set", "meta.collective_timeout_s=15"));
            envs.add("{\"cluster\": {\"worker\": [\"127.0.0.1:" + ports[0] + "\", \"127.0.0.1:" + ports[1]
                    + "\"]}, \"task\": {\"type\": \"worker\", \"index\": " + i + "}}");
        }
        Workers w = Workers.start(tmp, cmds, envs);
        try {
            Path csv = run.resolve("jepa_r0.csv");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!(Files.exists(run.resolve("checkpoints/latest.safetensors")) && Files.exists(csv)
                    && Files.readAllLines(csv).size() > 12)) {
                assertTrue(System.nanoTime() < deadline, "no progress: " + w.log(0));
                assertTrue(w.processes.get(0).isAlive(), w.log(0));
                Thread.sleep(200);
            }
            w.processes.get(victim).destroyForcibly(); // SIGKILL
            long killed = System.nanoTime();
            int survivor = 1 - victim;
            assertTrue(w.processes.get(survivor).waitFor(15 + 15, TimeUnit.SECONDS),
                    "worker " + survivor + " still runs: " + w.log(survivor));
            double seconds = (System.nanoTime() - killed) / 1e9;
            assertNotEquals(0, w.processes.get(survivor).exitValue(), w.log(survivor));
            // a killed process's host still answers, refusing the connection: the worker has stopped
            String named = "worker " + victim + " (127.0.0.1:" + ports[victim] + ") has stopped";
            List<String> errors = w.log(survivor).lines().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, errors.size(), w.log(survivor));
            assertTrue(errors.get(0).contains(named), errors.get(0));
            // a dead peer is noticed within the timeout plus the watchdog's few seconds, never a hang
            assertTrue(seconds < 15 + org.jepa4j.cluster.Watchdog.GRACE_SECONDS, "stopped after " + seconds + " s");
            // whichever died, the chief's last checkpoint is whole: it reads, checksums verified, with its step
            Checkpoint ckpt = Checkpoint.read(run.resolve("checkpoints/latest.safetensors"));
            ckpt.tensors();
            assertTrue(TrainerState.fromJson(ckpt.meta(Checkpoint.STATE)).step() % 4 == 0, "an epoch boundary");
            assertFalse(Files.exists(other), "a worker other than the chief writes no run folder");
        } finally {
            w.destroy();
        }
    }

    @Test
    void badClusterDescriptionsAreOneLineAndExitCodeTwoBeforeAnyTraining() throws Exception {
        int free = LoopbackPorts.consecutive(2); // free and free + 1
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            assertUsageError("'127.0.0.1:" + free + "' is listed twice",
                    "--cluster", "127.0.0.1:" + free + ",127.0.0.1:" + free, "--task-index", "0");
            assertUsageError("task index 2 is out of range for job 'worker' with 2 tasks, expected 0..1",
                    "--cluster", "127.0.0.1:" + free + ",127.0.0.1:" + (free + 1), "--task-index", "2");
            assertUsageError("--task-index 1 needs --cluster", "--task-index", "1");
            assertUsageError("port " + port + " of worker 0 127.0.0.1:" + port + " is already in use",
                    "--cluster", "127.0.0.1:" + port + ",127.0.0.1:" + free, "--task-index", "0");
        }
        // TF_CONFIG comes from the environment: a worker JVM of its own
        Path out = tmp.resolve("bad-tf-config");
        Workers w = Workers.start(tmp, List.of(args(out, 2)), List.of("{\"cluster\": {\"worker\": [\"127.0.0.1:1\"]"));
        w.awaitAll(2);
        List<String> lines = w.log(0).lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, lines.size(), w.log(0));
        assertTrue(lines.get(0).contains("TF_CONFIG is not JSON"), lines.get(0));
        assertFalse(Files.exists(out.resolve("config.yaml")), "nothing is trained");
    }

    private void assertUsageError(String expected, String... cluster) throws Exception {
        Path out = Files.createTempDirectory(tmp, "bad");
        StringWriter err = new StringWriter();
        var cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute(args(out, 2, cluster).toArray(String[]::new)), err.toString());
        List<String> lines = err.toString().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "one line: " + err);
        assertTrue(lines.get(0).startsWith("error: ") && lines.get(0).contains(expected), lines.get(0));
        assertFalse(Files.exists(out.resolve("config.yaml")), "nothing is trained: " + out);
        assertFalse(Files.exists(out.resolve("checkpoints").resolve(Checkpoint.LATEST)), "nothing is trained");
    }

    @Test
    void workersThatDisagreeOnTheRunStopTogetherWithExitCodeTwoNamingEveryKeyAndNoRunFolder() throws Exception {
        // five members of the class at once: learning rate, seed, data, masking, batch size (which used
        // to end in "worker N is unreachable" once one worker ran out of steps)
        Path run = tmp.resolve("disagreeing");
        String c = LoopbackPorts.cluster(2);
        Workers w = Workers.start(tmp, List.of(
                args(run, 4, "--cluster", c, "--task-index", "0"),
                args(run, 4, "--cluster", c, "--task-index", "1", "--set", "optimization.lr=0.002",
                        "--set", "meta.seed=7", "--set", "data.source=synthetic:count=40,size=16,channels=1,classes=4,"
                                + "seed=5,test_count=16",
                        "--set", "mask.num_pred_masks=3", "--set", "data.batch_size=16",
                        "--set", "meta.intra_op_threads=1")),
                List.of());
        w.awaitAll(2);
        for (int i = 0; i < 2; i++) {
            String log = w.log(i);
            List<String> errors = log.lines().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, errors.size(), "one line: " + log);
            String e = errors.get(0);
            assertTrue(e.contains("config.optimization.lr: worker 0 0.001, worker 1 0.002"), e);
            assertTrue(e.contains("config.meta.seed: worker 0 0, worker 1 7"), e);
            assertTrue(e.contains("config.data.source: worker 0 synthetic:count=32"), e);
            assertTrue(e.contains("config.mask.num_pred_masks: worker 0 2, worker 1 3"), e);
            assertTrue(e.contains("config.data.batch_size: worker 0 8, worker 1 16"), e);
            assertTrue(e.contains("data.images: worker 0 32, worker 1 40"), "the data's identity too: " + e);
            assertFalse(e.contains("intra_op_threads"), "thread pools may differ between hosts: " + e);
            assertFalse(e.contains("cluster."), "both name the same cluster; only their ranks differ: " + e);
            assertFalse(log.contains("unreachable") || log.contains("has stopped"), "no peer named absent: " + log);
            assertFalse(log.contains("\tat "), "no stack trace: " + log);
        }
        assertFalse(Files.exists(run), "the chief removes the run folder it made for a run that never started");
    }

    @Test
    void sigtermOnTheChiefStopsEveryWorkerAfterACheckpoint() throws Exception {
        Path run = tmp.resolve("stopped");
        String c = LoopbackPorts.cluster(2);
        Workers w = Workers.start(tmp, List.of(
                args(run, 100000, "--set", "optimization.epochs=100000", "--cluster", c, "--task-index", "0"),
                args(run, 100000, "--set", "optimization.epochs=100000", "--cluster", c, "--task-index", "1")),
                List.of());
        try {
            awaitRows(w, run.resolve("jepa_r0.csv"), 6);
            w.processes.get(0).destroy(); // SIGTERM to the chief only
            assertTrue(w.processes.get(1).waitFor(60, TimeUnit.SECONDS), "worker 1 still runs: " + w.log(1));
            assertTrue(w.processes.get(0).waitFor(60, TimeUnit.SECONDS), "the chief still runs: " + w.log(0));
            assertEquals(0, w.processes.get(1).exitValue(), "worker 1 ends cleanly: " + w.log(1));
            long stoppedAt = stopStep(w.log(1));
            assertEquals(stoppedAt, stopStep(w.log(0)), "both workers end after the same step");
            assertCheckpointAt(run, stoppedAt);
        } finally {
            w.destroy();
        }
    }

    @Test
    void trainClusterToolTrainsAndForwardsSigtermToEveryWorker() throws Exception {
        Path cli = tmp.resolve("jepa4j-cli");
        Files.writeString(cli, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
                + "' -Xmx512m -cp '" + System.getProperty("java.class.path") + "' " + Jepa4j.class.getName()
                + " \"$@\"\n");
        assertTrue(cli.toFile().setExecutable(true));
        Path run = tmp.resolve("tool");
        // a whole run of 3 steps, exit 0
        Process first = tool(cli, run, 3, "whole");
        assertTrue(first.waitFor(120, TimeUnit.SECONDS), Files.readString(tmp.resolve("whole.log")));
        assertEquals(0, first.exitValue(), Files.readString(tmp.resolve("whole.log")));
        assertEquals(3, losses(run.resolve("jepa_r0.csv")).length);
        // resumed, then SIGTERM to the tool: every worker gets it and they end together after a checkpoint
        Process resumed = tool(cli, run, 100000, "resumed", "--resume", "--set", "optimization.epochs=100000");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (rows(run.resolve("jepa_r0.csv")) < 8) {
                assertTrue(System.nanoTime() < deadline && resumed.isAlive(), Files.readString(tmp.resolve("resumed.log")));
                Thread.sleep(200);
            }
            resumed.destroy(); // SIGTERM
            assertTrue(resumed.waitFor(60, TimeUnit.SECONDS), Files.readString(tmp.resolve("resumed.log")));
            String log = Files.readString(tmp.resolve("resumed.log"));
            assertEquals(128 + 15, resumed.exitValue(), "the workers' code after SIGTERM: " + log);
            assertTrue(log.contains("[worker 1] resuming at step 3"), log);
            long stoppedAt = stopStep(log.lines().filter(l -> l.startsWith("[worker 1]")).reduce("", (a, b) -> a + b + "\n"));
            assertEquals(stoppedAt, stopStep(log.lines().filter(l -> l.startsWith("[worker 0]"))
                    .reduce("", (a, b) -> a + b + "\n")), log);
            assertCheckpointAt(run, stoppedAt);
        } finally {
            resumed.destroy();
        }
    }

    private Process tool(Path cli, Path run, long maxSteps, String logName, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tools/train-cluster", "--workers", "2", "--base-port",
                Integer.toString(LoopbackPorts.consecutive(2))));
        List<String> a = args(run, maxSteps, more);
        cmd.addAll(a.subList(1, a.size()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve(logName + ".log").toFile());
        pb.environment().remove("TF_CONFIG");
        pb.environment().put("JEPA4J_CLI", cli.toString());
        return pb.start();
    }

    /** The step after which a voted stop ends the run, from a worker's log. */
    static long stopStep(String log) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("every worker finishes at step (\\d+)").matcher(log);
        assertTrue(m.find(), "no voted stop in: " + log);
        return Long.parseLong(m.group(1));
    }

    /** The chief's latest checkpoint holds step {@code step} and every row up to it is in the CSV. */
    static void assertCheckpointAt(Path run, long step) throws Exception {
        Checkpoint ckpt = Checkpoint.read(run.resolve("checkpoints").resolve(Checkpoint.LATEST));
        assertEquals(step, TrainerState.fromJson(ckpt.meta(Checkpoint.STATE)).step());
        assertEquals(step, losses(run.resolve("jepa_r0.csv")).length);
    }

    static void awaitRows(Workers w, Path csv, int rows) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (rows(csv) < rows) {
            assertTrue(System.nanoTime() < deadline, "no progress: " + w.log(0));
            assertTrue(w.processes.get(0).isAlive() && w.processes.get(1).isAlive(), w.log(0) + w.log(1));
            Thread.sleep(200);
        }
    }

    static void assertRunsAgree(Path a, Path b, int steps) throws Exception {
        double[] la = losses(a.resolve("jepa_r0.csv"));
        double[] lb = losses(b.resolve("jepa_r0.csv"));
        assertEquals(steps, la.length);
        assertEquals(steps, lb.length);
        for (int i = 0; i < steps; i++) {
            assertEquals(la[i], lb[i], 1e-6 * Math.max(1, Math.abs(la[i])), "loss of step " + i);
        }
        NamedTensors ta = Checkpoint.read(a.resolve("checkpoints/latest.safetensors")).tensors();
        NamedTensors tb = Checkpoint.read(b.resolve("checkpoints/latest.safetensors")).tensors();
        assertEquals(ta.names(), tb.names());
        for (String n : ta.names()) {
            float[] x = ta.get(n).data();
            float[] y = tb.get(n).data();
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], 1e-5, n + "[" + i + "]");
            }
        }
    }

    /** The loss column of every row, in step order (a resumed run appends). */
    static double[] losses(Path csv) throws Exception {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = List.of(lines.get(0).split(","));
        int loss = header.indexOf("loss");
        return lines.stream().skip(1).filter(l -> !l.equals(lines.get(0)))
                .mapToDouble(l -> Double.parseDouble(l.split(",")[loss])).toArray();
    }

    /** Whole rows written so far, headers included (0 before the file exists). */
    static long rows(Path csv) throws Exception {
        if (!Files.exists(csv)) {
            return 0;
        }
        return Files.readString(csv).chars().filter(ch -> ch == '\n').count() - 1;
    }

    /** Worker JVMs started by a test, each with its log file; only these are ever killed. */
    record Workers(List<Process> processes, List<Path> logs) {
        static Workers start(Path dir, List<List<String>> argLists, List<String> tfConfigs) throws Exception {
            List<Process> ps = new ArrayList<>();
            List<Path> logs = new ArrayList<>();
            for (int i = 0; i < argLists.size(); i++) {
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-Xmx512m", "-cp", System.getProperty("java.class.path"), Jepa4j.class.getName()));
                cmd.addAll(argLists.get(i));
                Path log = Files.createTempFile(dir, "worker" + i + "-", ".log");
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
                pb.environment().remove("TF_CONFIG");
                if (!tfConfigs.isEmpty()) {
                    pb.environment().put("TF_CONFIG", tfConfigs.get(i));
                }
                ps.add(pb.start());
                logs.add(log);
            }
            return new Workers(ps, logs);
        }

        String log(int i) throws Exception {
            return Files.readString(logs.get(i));
        }

        void awaitAll(int expectedCode) throws Exception {
            try {
                for (int i = 0; i < processes.size(); i++) {
                    assertTrue(processes.get(i).waitFor(120, TimeUnit.SECONDS), "worker " + i + " hangs: " + log(i));
                    assertEquals(expectedCode, processes.get(i).exitValue(), "worker " + i + ": " + log(i));
                }
            } finally {
                destroy();
            }
        }

        void destroy() {
            processes.forEach(Process::destroyForcibly);
        }
    }
}
