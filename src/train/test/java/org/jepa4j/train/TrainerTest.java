package org.jepa4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.provenance.Provenance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training loop on a tiny model: resume, stop, divergence, run-folder contents, step cap. */
class TrainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Trainer.Summary run(RunConfig config, Path folder, boolean resume) throws Exception {
        return new Trainer(config, TrainerRuns.options(folder, new ByteArrayOutputStream()).withResume(resume)).run();
    }

    @Test
    void pixelTargetRunsKeepTheirHeadResumeAsPixelsAndRefuseResumingAsFeatures() throws Exception {
        Path folder = tmp.resolve("pixels");
        RunConfig base = TrainerRuns.config(folder, 16, 2);
        RunConfig pixels = base.withMeta(base.meta().toBuilder().target("pixels").pixelNorm(true).build());
        Trainer.Summary first = run(TrainerRuns.withMaxSteps(pixels, 3), folder, false);
        assertEquals(3, first.stepsDone());
        assertTrue(java.util.Arrays.stream(first.losses()).allMatch(Double::isFinite));
        var tensors = Checkpoint.read(folder).tensors();
        assertTrue(tensors.names().containsAll(ParameterNames.pixelHead(pixels.modelSpec()).keySet()));
        // no EMA: what export reads (the target encoder) is the trained context encoder
        assertArrayEquals(tensors.get("encoder.blocks.0.attn.qkv.weight").data(),
                tensors.get("target_encoder.blocks.0.attn.qkv.weight").data(), 0f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(TrainerRuns.withMaxSteps(base, 6), folder, true));
        assertTrue(e.getMessage().contains("meta.target pixels"), e.getMessage());
        assertEquals(6, run(TrainerRuns.withMaxSteps(pixels, 6), folder, true).stepsDone());
    }

    @Test
    void startupDescribesTheTargetThatIsTrained() throws Exception {
        for (boolean isPixels : new boolean[] {false, true}) {
            Path folder = tmp.resolve(isPixels ? "pixels" : "features");
            RunConfig base = TrainerRuns.config(folder, 16, 2);
            RunConfig config = isPixels ? base.withMeta(base.meta().toBuilder().target("pixels").pixelNorm(true).build()) : base;
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            new Trainer(TrainerRuns.withMaxSteps(config, 1), TrainerRuns.options(folder, sink)).run();
            String out = sink.toString(StandardCharsets.UTF_8);
            assertEquals(!isPixels, out.contains("the target encoder is an EMA copy of the encoder"), out);
            assertEquals(isPixels, out.contains("no target encoder, no EMA"), out);
        }
    }

    @Test
    void trainingStartsFromTheConfiguredInitialisation() throws Exception {
        Path folder = tmp.resolve("init");
        RunConfig base = TrainerRuns.config(folder, 16, 2);
        org.jepa4j.model.InitScheme scheme = new org.jepa4j.model.InitScheme("xavier_uniform", 0.25, 3.0);
        RunConfig config = base.withMeta(base.meta().toBuilder().init(scheme).build());
        run(TrainerRuns.withMaxSteps(config, 1), folder, false);
        var tensors = Checkpoint.read(folder).tensors();
        var initial = org.jepa4j.model.Initializer.initialize(config.modelSpec(), config.meta().seed(), scheme);
        // the position tables are frozen: after a step they are still the scaled initial tables
        for (String name : List.of("encoder.pos_embed", "target_encoder.pos_embed", "predictor.predictor_pos_embed")) {
            assertArrayEquals(initial.get(name).data(), tensors.get(name).data(), 0f, name);
        }
        var reference = org.jepa4j.model.Initializer.initialize(config.modelSpec(), config.meta().seed());
        assertFalse(java.util.Arrays.equals(reference.get("encoder.pos_embed").data(), tensors.get("encoder.pos_embed").data()));
        // one AdamW step moves each weight by about lr: the Xavier draw (std ~0.1) is still recognisable
        float[] patch = tensors.get("target_encoder.patch_embed.proj.weight").data();
        float[] drawn = initial.get("encoder.patch_embed.proj.weight").data();
        for (int i = 0; i < patch.length; i++) {
            assertEquals(drawn[i], patch[i], 0.01, "patch embedding " + i);
        }
        String yaml = Files.readString(folder.resolve("config.yaml"));
        assertTrue(yaml.contains("patch_embed_init: xavier_uniform") && yaml.contains("pos_embed_scale: 0.25"), yaml);
    }

    @Test
    void resumeContinuesTheSameRun() throws Exception {
        // ipe 4, 2 epochs; stop mid-epoch (step 3) so the resume does not start at an epoch boundary
        RunConfig base = TrainerRuns.config(tmp.resolve("unused"), 16, 2);
        Trainer.Summary straight = run(TrainerRuns.withMaxSteps(base, 6), tmp.resolve("straight"), false);
        assertEquals(6, straight.losses().length);

        Path split = tmp.resolve("split");
        Trainer.Summary first = run(TrainerRuns.withMaxSteps(base, 3), split, false);
        assertEquals(3, first.stepsDone());
        assertEquals(3, TrainerState.fromJson(Checkpoint.read(split).meta(Checkpoint.STATE)).step());
        Trainer.Summary second = run(TrainerRuns.withMaxSteps(base, 6), split, true);
        assertEquals(3, second.firstStep());
        assertEquals(6, second.stepsDone());

        double[] resumed = new double[6];
        System.arraycopy(first.losses(), 0, resumed, 0, 3);
        System.arraycopy(second.losses(), 0, resumed, 3, 3);
        assertArrayEquals(straight.losses(), resumed, 1e-6);
        // and the final weights agree too
        var a = Checkpoint.read(tmp.resolve("straight")).tensors();
        var b = Checkpoint.read(split).tensors();
        assertEquals(a.names(), b.names());
        for (String name : a.names()) {
            assertArrayEquals(a.get(name).data(), b.get(name).data(), 1e-6f, name);
        }
    }

    @Test
    void stopRequestFinishesTheCurrentStepAndWritesLatest() throws Exception {
        Path folder = tmp.resolve("stopped");
        RunConfig config = TrainerRuns.config(folder, 16, 2);
        Trainer trainer = new Trainer(config, TrainerRuns.options(folder, new ByteArrayOutputStream()));
        List<Long> seen = new ArrayList<>();
        trainer.setListener((t, r) -> {
            seen.add(r.step());
            if (r.step() == 1) {
                t.requestStop(); // as the Ctrl-C shutdown hook does
            }
        });
        Trainer.Summary s = trainer.run();
        assertTrue(s.stopped());
        assertEquals(List.of(0L, 1L), seen);
        assertEquals(2, s.stepsDone());
        assertTrue(trainer.awaitFinished(0));
        TrainerState state = TrainerState.fromJson(Checkpoint.read(folder).meta(Checkpoint.STATE));
        assertEquals(2, state.step());
        assertEquals(2, state.maskSamplerStep());
        assertEquals(s.lastLoss(), state.lastLoss(), 0.0);
        // the stopped run can be resumed
        Trainer.Summary rest = run(TrainerRuns.withMaxSteps(config, 3), folder, true);
        assertEquals(2, rest.firstStep());
        assertEquals(3, rest.stepsDone());
        assertFalse(rest.stopped());
    }

    @Test
    void aSecondRunInTheSameFolderIsRefusedNamingTheHolder() throws Exception {
        Path folder = tmp.resolve("shared");
        RunConfig config = TrainerRuns.withMaxSteps(TrainerRuns.config(folder, 16, 1), 2);
        Trainer first = new Trainer(config, TrainerRuns.options(folder, new ByteArrayOutputStream()));
        java.util.concurrent.CountDownLatch inStep = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch secondTried = new java.util.concurrent.CountDownLatch(1);
        first.setListener((t, r) -> {
            inStep.countDown();
            try {
                secondTried.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            var running = pool.submit(first::run);
            assertTrue(inStep.await(2, java.util.concurrent.TimeUnit.MINUTES));
            IOException e = assertThrows(IOException.class, () -> run(config, folder, false));
            secondTried.countDown();
            assertTrue(e.getMessage().contains("in use by another run")
                    && e.getMessage().contains("process " + ProcessHandle.current().pid()), e.getMessage());
            assertEquals(2, running.get().stepsDone(), "the first run is unharmed");
        } finally {
            secondTried.countDown();
            pool.shutdownNow();
        }
        // once it has ended, the folder can be resumed
        assertEquals(3, run(TrainerRuns.withMaxSteps(config, 3), folder, true).stepsDone());
    }

    @Test
    void aKillDuringTheNumberedCheckpointLosesNothingAndItsTemporariesAreRemoved() throws Exception {
        RunConfig base = TrainerRuns.config(tmp.resolve("unused"), 16, 2); // ipe 4, checkpoint_freq 1
        Path straight = tmp.resolve("straight");
        run(base, straight, false);

        // the state a kill -9 leaves while epoch 2's numbered checkpoint is being written: latest at
        // epoch 1, a half-written temporary beside it, no epoch-0002
        Path killed = tmp.resolve("killed");
        run(TrainerRuns.withMaxSteps(base, 4), killed, false);
        Path checkpoints = killed.resolve("checkpoints");
        Path partial = checkpoints.resolve(".epoch-0002.safetensors.12345.tmp");
        Files.write(partial, java.util.Arrays.copyOf(Files.readAllBytes(checkpoints.resolve("latest.safetensors")), 999));
        Path partialLog = killed.resolve(".jepa_r0.csv.777.tmp");
        Files.writeString(partialLog, "epoch,");
        assertFalse(Files.exists(checkpoints.resolve("epoch-0002.safetensors")));

        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        new Trainer(base, TrainerRuns.options(killed, sink).withResume(true)).run();
        assertTrue(sink.toString(StandardCharsets.UTF_8).contains("removed 2 temporary files"), sink.toString());
        assertFalse(Files.exists(partial));
        assertFalse(Files.exists(partialLog));
        for (String name : List.of("epoch-0001.safetensors", "epoch-0002.safetensors", "latest.safetensors")) {
            var a = Checkpoint.read(straight.resolve("checkpoints").resolve(name)).tensors();
            var b = Checkpoint.read(checkpoints.resolve(name)).tensors();
            for (String t : a.names()) {
                assertArrayEquals(a.get(t).data(), b.get(t).data(), 0f, name + " " + t);
            }
        }
        try (var files = Files.list(checkpoints)) {
            assertEquals(List.of("epoch-0001.safetensors", "epoch-0002.safetensors", "latest.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void checkpointFreqZeroKeepsNoNumberedCheckpoints() throws Exception {
        Path folder = tmp.resolve("nonumbers");
        RunConfig c = TrainerRuns.config(folder, 16, 2);
        var l = c.logging();
        c = c.withLogging(new org.jepa4j.config.LoggingConfig(l.folder(), l.writeTag(), 0, l.logEvery()));
        run(c, folder, false);
        try (var files = Files.list(folder.resolve("checkpoints"))) {
            assertEquals(List.of("latest.safetensors"), files.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals(8, TrainerState.fromJson(Checkpoint.read(folder).meta(Checkpoint.STATE)).step());
    }

    @Test
    void resumeRefusesACheckpointWithAFlippedByte() throws Exception {
        Path folder = tmp.resolve("flipped");
        RunConfig config = TrainerRuns.withMaxSteps(TrainerRuns.config(folder, 16, 1), 1);
        run(config, folder, false);
        Path latest = folder.resolve("checkpoints/latest.safetensors");
        byte[] bytes = Files.readAllBytes(latest);
        bytes[bytes.length - 100] ^= 0x01;
        Files.write(latest, bytes);
        IOException e = assertThrows(IOException.class, () -> run(TrainerRuns.withMaxSteps(config, 2), folder, true));
        assertTrue(e.getMessage().contains("CRC32C") && e.getMessage().contains(latest.toString()), e.getMessage());
    }

    @Test
    void divergingLossStopsWithoutWritingACheckpoint() throws Exception {
        Path folder = tmp.resolve("diverged");
        RunConfig config = TrainerRuns.config(folder, 32, 4); // ipe 8
        run(TrainerRuns.withMaxSteps(config, 8), folder, false);
        Path latest = folder.resolve("checkpoints/latest.safetensors");
        byte[] before = Files.readAllBytes(latest);

        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> run(TrainerRuns.withConstantLr(config, 1e6), folder, true));
        assertEquals(2, e.epoch());
        assertTrue(e.step() >= 8 && e.step() < 16, "step " + e.step());
        assertEquals(1e6, e.lr(), 0.0);
        assertTrue(e.getMessage().contains("at step " + e.step() + " (epoch 2), lr 1.0000e+06"), e.getMessage());
        assertTrue(e.getMessage().contains(latest.toString()), e.getMessage());

        assertArrayEquals(before, Files.readAllBytes(latest), "latest checkpoint must be untouched");
        Checkpoint intact = Checkpoint.read(folder);
        assertEquals(8, TrainerState.fromJson(intact.meta(Checkpoint.STATE)).step());
        assertEquals(config.modelSpec(), intact.modelSpec());
        // still resumable with a sane learning rate
        Trainer.Summary resumed = run(TrainerRuns.withMaxSteps(config, 9), folder, true);
        assertEquals(9, resumed.stepsDone());
        assertTrue(Double.isFinite(resumed.lastLoss()));
    }

    @Test
    void runFolderHoldsConfigLogCheckpointsAndProvenance() throws Exception {
        Path folder = tmp.resolve("complete");
        RunConfig config = TrainerRuns.withProbeEvery(TrainerRuns.config(folder, 16, 2), 4);
        Trainer.Summary s = run(config, folder, false);
        assertEquals(8, s.stepsDone());

        String yaml = Files.readString(folder.resolve("config.yaml"));
        assertEquals(config.withLogging(config.logging()), RunConfigLoader.parse(yaml, "config.yaml", List.of()));
        assertTrue(Files.isRegularFile(folder.resolve("checkpoints/epoch-0001.safetensors")));
        assertTrue(Files.isRegularFile(folder.resolve("checkpoints/epoch-0002.safetensors")));

        List<String> csv = Files.readAllLines(folder.resolve("jepa_r0.csv"));
        assertEquals(String.join(",", TrainingLog.COLUMNS), csv.get(0));
        assertEquals(9, csv.size()); // log_every 1: one row per step
        String[] last = csv.get(8).split(",", -1);
        assertEquals("2", last[0]); // epoch
        assertEquals("3", last[1]); // itr
        assertEquals("7", last[6]); // step
        assertFalse(last[11].isEmpty(), "feature_std at a probe step");
        assertFalse(last[12].isEmpty(), "rankme at a probe step");
        assertFalse(csv.get(1).split(",", -1)[11].isEmpty(), "baseline monitors after the first step");
        assertTrue(csv.get(2).split(",", -1)[11].isEmpty(), "no monitors at step 1");

        Checkpoint ckpt = Checkpoint.read(folder);
        assertEquals(yaml, ckpt.meta(Checkpoint.CONFIG));
        JsonNode prep = JSON.readTree(ckpt.meta(Checkpoint.PREPROCESSING));
        assertEquals(16, prep.get("image_size").asInt());
        assertEquals(16, prep.get("resize_size").asInt());
        assertEquals(3, prep.get("channels").asInt());
        assertEquals(0.229, prep.get("std").get(0).asDouble(), 0.0);
        JsonNode prov = JSON.readTree(ckpt.meta(Checkpoint.PROVENANCE));
        assertEquals(Provenance.sha256(yaml), prov.get("config_sha256").asText());
        assertEquals(8, prov.get("step").asLong());
        assertEquals(16, prov.get("data_size").asLong());
        assertNotNull(prov.get("jepa4j_version"));
        assertEquals(org.tensorflow.TensorFlow.version(), prov.get("engines").get("tensorflow").asText());
        assertEquals(System.getProperty("os.arch"), prov.get("arch").asText());
        JsonNode runProv = JSON.readTree(Files.readString(folder.resolve("provenance.json")));
        assertEquals(prov.get("config_sha256"), runProv.get("config_sha256"));
        TrainerState state = TrainerState.fromJson(ckpt.meta(Checkpoint.STATE));
        assertEquals(new TrainerState(8, 2, 8, 3L, 4, 4, 16, s.lastLoss()), state);
        for (String part : new String[] {ParameterNames.ENCODER, ParameterNames.TARGET_ENCODER,
                ParameterNames.PREDICTOR}) {
            assertTrue(ckpt.part(part).size() > 0, part);
        }
    }

    @Test
    void maxStepsCapsTheRunButSchedulesKeepTheFullHorizon() throws Exception {
        Path folder = tmp.resolve("capped");
        RunConfig config = TrainerRuns.withMaxSteps(TrainerRuns.config(folder, 16, 3), 5); // 12 steps in full
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Trainer trainer = new Trainer(config, TrainerRuns.options(folder, sink));
        List<Trainer.StepRecord> records = new ArrayList<>();
        trainer.setListener((t, r) -> records.add(r));
        Trainer.Summary s = trainer.run();
        assertEquals(5, s.stepsDone());
        assertEquals(5, s.endStep());
        assertFalse(s.stopped());
        // warmup_steps = 4, T = 12: step 4 uses k = 5, on the cosine (5-4)/(12-4) of the way
        double lr = 1e-6 + (1e-3 - 1e-6) * 0.5 * (1 + Math.cos(Math.PI * 1 / 8));
        assertEquals(lr, records.get(4).values().lr(), 1e-15);
        assertEquals(0.996 + 4 * 0.004 / 12, records.get(4).values().momentum(), 1e-15);
        assertEquals(0.4 - 0.36 * 0.5 * (1 + Math.cos(Math.PI * 5 / 12)), records.get(4).values().weightDecay(),
                1e-15);

        String out = sink.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("parameters"), out);
        assertTrue(out.contains("4 iterations per epoch, 3 epochs = 12 steps (optimization.max_steps stops at 5)"), out);
        assertTrue(out.contains("device:"), out);
        assertTrue(out.contains("step 5/5"), out);
        assertFalse(out.contains("\r"), "non-interactive output has no carriage returns");
    }

    @Test
    void aNewRunRefusesAFolderThatHoldsCheckpoints() throws Exception {
        Path folder = tmp.resolve("taken");
        RunConfig config = TrainerRuns.withMaxSteps(TrainerRuns.config(folder, 16, 1), 1);
        run(config, folder, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(config, folder, false));
        assertTrue(e.getMessage().contains("pass --resume"), e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> run(config, tmp.resolve("empty"), true));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }
}
