package org.jepa4j.cli;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.cluster.ClusterRun;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.tensor.NamedTensors;
import org.junit.jupiter.api.Test;
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
class ClusterTrainTest {
    /** 32 synthetic 16x16 grey images, batch 8 (4 steps per epoch), a width-32 one-block ViT. */
    static final List<String> TINY = List.of("--config", "fashion_mnist",
            "--set", "data.source=synthetic:count=32,size=16,channels=1,classes=4,seed=5,test_count=16",
            "--set", "data.crop_size=16", "--set", "data.batch_size=8", "--set", "data.num_workers=1",
            "--set", "meta.embed_dim=32", "--set", "meta.depth=1", "--set", "meta.num_heads=2",
            "--set", "meta.pred_depth=1", "--set", "meta.pred_emb_dim=16", "--set", "meta.towers=1",
            "--set", "meta.inter_op_threads=2", "--set", "mask.min_keep=0", "--set", "mask.num_pred_masks=2",
            "--set", "optimization.epochs=2", "--set", "optimization.probe_every=0", "--set", "logging.log_every=1");

    @TempDir
    Path tmp;

    private static List<String> args(Path out, long maxSteps, String... more) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(TINY);
        a.addAll(List.of("--set", "optimization.max_steps=" + maxSteps, "--out", out.toString()));
        a.addAll(List.of(more));
        return a;
    }

    private static int inProcess(List<String> args) {
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
        String c2 = cluster(2);
        Workers.start(tmp, List.of(args(shared, 3, "--cluster", c2, "--task-index", "0"),
                args(shared, 3, "--cluster", c2, "--task-index", "1")), List.of()).awaitAll(0);
        String c3 = cluster(2);
        Workers again = Workers.start(tmp, List.of(args(shared, 5, "--cluster", c3, "--task-index", "0", "--resume"),
                args(shared, 5, "--cluster", c3, "--task-index", "1", "--resume")), List.of());
        again.awaitAll(0);
        assertTrue(again.log(1).contains("resuming at step 3"), again.log(1));
        assertTrue(again.log(1).contains("this is rank 1"), again.log(1));
        assertEquals(2, Provenance.parse(Files.readString(shared.resolve("provenance.json"))).details()
                .get(ClusterRun.PROVENANCE_CLUSTER_SIZE));
        inProcess(args(shared, 8, "--resume"));
        assertRunsAgree(single, shared, 8);
    }

    @Test
    void killingAWorkerMidRunStopsTheOtherWithTheTaskNamed() throws Exception {
        Path run = tmp.resolve("killed");
        int[] ports = {freePort(), freePort()};
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
            w.processes.get(1).destroyForcibly(); // SIGKILL
            long killed = System.nanoTime();
            assertTrue(w.processes.get(0).waitFor(15 + 15, TimeUnit.SECONDS), "the chief still runs: " + w.log(0));
            double seconds = (System.nanoTime() - killed) / 1e9;
            assertNotEquals(0, w.processes.get(0).exitValue(), w.log(0));
            assertTrue(w.log(0).contains("worker 1 (127.0.0.1:" + ports[1] + ") is unreachable"), w.log(0));
            // the watchdog's probes notice the refused connections within seconds, long before the timeout
            assertTrue(seconds < 15 + org.jepa4j.cluster.Watchdog.GRACE_SECONDS, "stopped after " + seconds + " s");
            // the last checkpoint is whole: it reads, with its step
            Checkpoint.read(run.resolve("checkpoints/latest.safetensors")).tensors();
            assertFalse(Files.exists(other), "a worker other than the chief writes no run folder");
        } finally {
            w.destroy();
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

    static String cluster(int n) throws Exception {
        List<String> a = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            a.add("127.0.0.1:" + freePort());
        }
        return String.join(",", a);
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
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
