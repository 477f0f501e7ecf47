package org.jepa4j.cli;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.testing.Hosts;
import org.jepa4j.train.TrainerState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.jepa4j.cli.ClusterTrainTest.args;
import static org.jepa4j.cli.ClusterTrainTest.assertRunsAgree;
import static org.jepa4j.cli.ClusterTrainTest.inProcess;
import static org.jepa4j.cli.ClusterTrainTest.losses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jepa4j train} with every worker on a separate network host with a disk of its own
 * ({@link Hosts}): the workers reach each other only through the addresses in {@code TF_CONFIG},
 * and no worker can read another's files. Every worker is given the same {@code --out} on its own
 * disk; only the chief's gets a run folder.
 */
@Tag("slow")
class TrainAcrossHostsTest {
    /** Every host's server port: each host has a network of its own, so the same port serves all. */
    static final int PORT = 2222;

    @TempDir
    Path tmp;

    /** {@code TF_CONFIG} of task {@code index} in a cluster of the first {@code n} hosts. */
    static String tfConfig(Hosts hosts, int n, int index) {
        List<String> workers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            workers.add("\"" + hosts.address(i) + ":" + PORT + "\"");
        }
        return "{\"cluster\": {\"worker\": [" + String.join(", ", workers) + "]}, \"task\": {\"type\": \"worker\", \"index\": "
                + index + "}}";
    }

    /** The run folder every worker is given: the same path, on each host's own disk. */
    static Path runOn(Hosts hosts) {
        return hosts.diskMountPoint().resolve("run");
    }

    /** One worker JVM per host of the first {@code n}, each with its TF_CONFIG and its log. */
    record Cluster(List<Process> processes, List<Path> logs) {
        static Cluster start(Hosts hosts, int n, Path logDir, String name, long maxSteps, String... more) throws Exception {
            List<Process> ps = new ArrayList<>();
            List<Path> logs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-Xmx512m", "-cp", System.getProperty("java.class.path"), Jepa4j.class.getName()));
                cmd.addAll(args(runOn(hosts), maxSteps, more));
                Path log = logDir.resolve(name + "-worker" + i + ".log");
                ps.add(hosts.start(i, cmd, Map.of("TF_CONFIG", tfConfig(hosts, n, i)), log));
                logs.add(log);
            }
            return new Cluster(ps, logs);
        }

        String log(int i) throws Exception {
            return Files.exists(logs.get(i)) ? Files.readString(logs.get(i)) : "";
        }

        void awaitAll(int code) throws Exception {
            try {
                for (int i = 0; i < processes.size(); i++) {
                    assertTrue(processes.get(i).waitFor(180, TimeUnit.SECONDS), "worker " + i + " hangs: " + log(i));
                    assertEquals(code, processes.get(i).exitValue(), "worker " + i + ": " + log(i));
                }
            } finally {
                processes.forEach(Process::destroyForcibly);
            }
        }
    }

    /** Only host 0 (the chief) holds a run folder; the other hosts' disks stay empty. */
    static void assertOnlyTheChiefsDiskHoldsTheRun(Hosts hosts, int n) throws Exception {
        assertTrue(Files.exists(hosts.disk(0).resolve("run/checkpoints").resolve(Checkpoint.LATEST)));
        for (int i = 1; i < n; i++) {
            try (var files = Files.list(hosts.disk(i))) {
                assertEquals(List.of(), files.toList(), "host " + i + "'s disk");
            }
        }
    }

    @ParameterizedTest(name = "{0} workers")
    @ValueSource(ints = {2, 3})
    void workersOnSeparateHostsTrainTheOneProcessRun(int n) throws Exception {
        Path single = tmp.resolve("single");
        inProcess(args(single, 6));
        try (Hosts hosts = Hosts.create(n)) {
            Cluster c = Cluster.start(hosts, n, tmp, "run", 6);
            c.awaitAll(0);
            assertTrue(c.log(1).contains("this is rank 1"), c.log(1));
            assertOnlyTheChiefsDiskHoldsTheRun(hosts, n);
            assertRunsAgree(single, hosts.disk(0).resolve("run"), 6);
        }
    }

    @Test
    void resumeWithTheRunFolderOnTheChiefsDiskAloneContinuesTheRunWithAnyWorkerCount() throws Exception {
        Path single = tmp.resolve("single");
        inProcess(args(single, 8));
        try (Hosts hosts = Hosts.create(3)) {
            // 3 steps on 2 hosts, then to 5 on 3 hosts, then to 8 on 2: only the chief's disk ever holds the
            // run folder, so every other worker gets the step, weights and optimizer state from the chief
            Cluster.start(hosts, 2, tmp, "first", 3).awaitAll(0);
            Cluster three = Cluster.start(hosts, 3, tmp, "three", 5, "--resume");
            three.awaitAll(0);
            for (int i = 1; i < 3; i++) {
                assertTrue(three.log(i).contains("resuming at step 3"), three.log(i));
            }
            assertTrue(three.log(2).contains("resuming with 3 workers a run that had 2"), three.log(2));
            Cluster two = Cluster.start(hosts, 2, tmp, "two", 8, "--resume");
            two.awaitAll(0);
            assertTrue(two.log(1).contains("resuming at step 5"), two.log(1));
            assertOnlyTheChiefsDiskHoldsTheRun(hosts, 3);
            assertRunsAgree(single, hosts.disk(0).resolve("run"), 8);
        }
    }

    @Test
    void aCutLinkStopsEveryOtherWorkerNamingItAndResumeContinuesTheRun() throws Exception {
        int timeout = 20;
        try (Hosts hosts = Hosts.create(3)) {
            Path run = hosts.disk(0).resolve("run");
            Path latest = run.resolve("checkpoints").resolve(Checkpoint.LATEST);
            Cluster c = Cluster.start(hosts, 3, tmp, "cut", 100000, "--set", "optimization.epochs=100000",
                    "--set", "meta.collective_timeout_s=" + timeout);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!(Files.exists(latest) && ClusterTrainTest.rows(run.resolve("jepa_r0.csv")) > 6)) {
                assertTrue(System.nanoTime() < deadline, "no progress: " + c.log(0));
                assertTrue(c.processes().get(0).isAlive(), c.log(0));
                Thread.sleep(200);
            }
            hosts.linkDown(2); // mid-run: a step is in flight nearly all the time
            long cut = System.nanoTime();
            String named = "worker 2 (" + hosts.address(2) + ":" + PORT + ") is unreachable";
            for (int i = 0; i < 2; i++) {
                Process p = c.processes().get(i);
                assertTrue(p.waitFor(timeout + 30, TimeUnit.SECONDS), "worker " + i + " still runs: " + c.log(i));
                assertNotEquals(0, p.exitValue(), c.log(i));
                List<String> errors = c.log(i).lines().filter(l -> l.startsWith("error: ")).toList();
                assertEquals(1, errors.size(), c.log(i));
                assertTrue(errors.get(0).contains(named), errors.get(0));
                // worker 1 may find the chief gone too (it stopped on seeing worker 2 go): it has stopped, and
                // the unreachable worker 2 is named first as the cause
                String chief = "worker 0 (" + hosts.address(0) + ":" + PORT + ")";
                assertFalse(errors.get(0).contains(chief + " is unreachable"), errors.get(0));
                assertFalse(errors.get(0).contains(chief + ", "), errors.get(0));
            }
            double seconds = (System.nanoTime() - cut) / 1e9;
            assertTrue(seconds < timeout + org.jepa4j.cluster.Watchdog.GRACE_SECONDS + 5,
                    "the other workers stopped " + seconds + " s after the cut");
            c.processes().get(2).destroyForcibly();
            c.processes().get(2).waitFor();
            hosts.linkUp(2);

            // the chief's checkpoint is whole (it reads, checksums verified) and at an epoch boundary
            Checkpoint ckpt = Checkpoint.read(latest);
            ckpt.tensors();
            long step = TrainerState.fromJson(ckpt.meta(Checkpoint.STATE)).step();
            assertTrue(step > 0 && step % 4 == 0, "step " + step);
            // the restart's own start-up gap (three JVMs) is not bounded by the short timeout: the default
            Cluster resumed = Cluster.start(hosts, 3, tmp, "resumed", step + 2, "--resume", "--set",
                    "optimization.epochs=100000");
            resumed.awaitAll(0);
            for (int i = 0; i < 3; i++) {
                assertTrue(resumed.log(i).contains("resuming at step " + step), resumed.log(i));
            }
            Checkpoint after = Checkpoint.read(latest);
            assertEquals(step + 2, TrainerState.fromJson(after.meta(Checkpoint.STATE)).step());
            assertFalse(Files.exists(hosts.disk(1).resolve("run")), "a worker other than the chief writes no run folder");
            assertTrue(losses(run.resolve("jepa_r0.csv")).length >= step + 2);
        }
    }
}
