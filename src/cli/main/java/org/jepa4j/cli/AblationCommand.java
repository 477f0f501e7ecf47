package org.jepa4j.cli;

import org.jepa4j.commands.OutputChecks;
import org.jepa4j.commands.OnnxRuntimeThreadOptions;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.LoggingConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.data.ImageSources;
import org.jepa4j.data.Split;
import org.jepa4j.eval.AblationTable;
import org.jepa4j.eval.Charts;
import org.jepa4j.eval.EvaluationReport;
import org.jepa4j.eval.protocol.EvaluationRequest;
import org.jepa4j.eval.protocol.Evaluator;
import org.jepa4j.eval.protocol.RandomInitBaseline;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.metrics.LinearProbe;
import org.jepa4j.io.Bounds;
import org.jepa4j.provenance.Version;
import org.jepa4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jepa4j ablation}: the paper's ablations at small scale. Trains named variants of one base
 * config with the same budget and seeds, exports each run's encoder, evaluates each with the same
 * evaluation (linear probe and kNN on the chosen features; the random-init encoder and raw pixels
 * once), and writes one table (Markdown and JSON) and one chart. Resumable: an evaluated variant
 * is reused, an unfinished run continues from its latest checkpoint.
 */
@Command(name = "ablation", mixinStandardHelpOptions = true,
        description = "Train, export and evaluate named variants of a base config (the paper's masking and target"
                + " ablations) with the same budget and seeds; writes ablation.md, ablation.json and ablation.png."
                + " Rerunning reuses finished variants.")
public final class AblationCommand implements Callable<Integer> {

    /**
     * A named change of the base config.
     *
     * @param name      short name used for folders and rows
     * @param overrides {@code section.key=value} changes on top of the base config
     * @param paper     the paper's figure for this variant (ImageNet 1 % linear probe), or empty
     */
    record Variant(String name, List<String> overrides, String paper) {
    }

    /** The variants, in table order: Table 6 (maskers), Table 7 (target), Table 10 (number of targets). */
    static final List<Variant> VARIANTS = List.of(
            new Variant("multiblock", List.of("mask.strategy=multiblock"), "54.2 (Table 6, ViT-B/16)"),
            new Variant("rasterized", List.of("mask.strategy=rasterized"), "15.5 (Table 6)"),
            new Variant("block", List.of("mask.strategy=block"), "20.2 (Table 6)"),
            new Variant("random", List.of("mask.strategy=random"), "17.6 (Table 6)"),
            new Variant("pixels", List.of("mask.strategy=multiblock", "meta.target=pixels"),
                    "40.7 against 66.9 for features (Table 7, ViT-L/16)"),
            new Variant("targets1", List.of("mask.strategy=multiblock", "mask.num_pred_masks=1"), "9.0 (Table 10)"),
            new Variant("targets2", List.of("mask.strategy=multiblock", "mask.num_pred_masks=2"), "22.0 (Table 10)"),
            new Variant("targets4", List.of("mask.strategy=multiblock", "mask.num_pred_masks=4"), "54.2 (Table 10)"));

    @Option(names = "--config", defaultValue = "fashion_mnist", paramLabel = "FILE|PRESET",
            description = "Base run config (default: ${DEFAULT-VALUE}).")
    String config;

    @Option(names = "--set", paramLabel = "SECTION.KEY=VALUE",
            description = "Override a key of the base config for every variant. Repeatable.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--epochs", paramLabel = "N", description = "Pretraining epochs of every run (default: the config's).")
    Integer epochs;

    /** Most runs per variant: each is a whole pretraining. */
    static final int MAX_SEEDS = 100;

    @Option(names = "--seeds", defaultValue = "1", paramLabel = "N",
            description = "Runs per variant, with meta.seed = the config's seed + 0 .. N-1 (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--only", split = ",", paramLabel = "NAME[,NAME...]",
            description = "Variants to run (default: all): multiblock, rasterized, block, random, pixels, targets1,"
                    + " targets2, targets4.")
    List<String> only = new ArrayList<>();

    @Option(names = "--data", paramLabel = "SPEC",
            description = "Labelled data for the evaluation (default: the config's data.source).")
    String data;

    @Option(names = "--features", split = ",", defaultValue = "pooled,last_hidden_state", paramLabel = "F[,F...]",
            description = "Features to evaluate (default: ${DEFAULT-VALUE}).")
    List<String> features;

    @Option(names = "--limit-train", defaultValue = "0", paramLabel = "N",
            description = "Evaluate on the first N training images (0 = all).")
    int limitTrain;

    @Option(names = "--limit-test", defaultValue = "0", paramLabel = "N",
            description = "Evaluate on the first N test images (0 = all).")
    int limitTest;

    @Option(names = "--validation", defaultValue = "0", paramLabel = "N",
            description = "Score every evaluation on the last N training images instead of the test split (eval"
                    + " --validation), for choosing a recipe; pretrain with --set data.limit=<all but N> so that"
                    + " those images stay unseen (0 = the test split).")
    int validation;

    @Option(names = "--probe-epochs", defaultValue = "10", paramLabel = "N",
            description = "Linear-probe SGD epochs per fit (default: ${DEFAULT-VALUE}).")
    int probeEpochs;

    @Option(names = "--out", defaultValue = "runs/ablation", paramLabel = "DIR",
            description = "Folder of the runs, evaluations and the table (default: ${DEFAULT-VALUE}).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (seeds < 1 || probeEpochs < 1 || limitTrain < 0 || limitTest < 0 || validation < 0
                || (epochs != null && epochs < 1)) {
            throw new IllegalArgumentException("--seeds, --probe-epochs and --epochs must be >= 1, --limit-train,"
                    + " --limit-test and --validation >= 0");
        }
        Bounds.atMost("--seeds", seeds, MAX_SEEDS, "runs per variant");
        Bounds.atMost("--probe-epochs", probeEpochs, Bounds.MAX_EPOCHS, "epochs");
        if (epochs != null) {
            Bounds.atMost("--epochs", epochs, Bounds.MAX_EPOCHS, "epochs");
        }
        List<Variant> chosen = choose(only);
        for (String f : features) {
            FeatureKind.parse(f);
        }
        List<String> baseSets = new ArrayList<>(sets);
        if (epochs != null) {
            baseSets.add("optimization.epochs=" + epochs);
        }
        // everything a variant's training or evaluation would refuse is refused here, before any file
        String origin = org.jepa4j.config.Presets.find(config).origin();
        RunConfig base = RunConfigLoader.resolve(config, baseSets);
        ConfigOptions.checkDataSources(base, origin);
        for (Variant v : chosen) {
            ConfigOptions.checkDataSources(RunConfigLoader.resolve(config, with(baseSets, v.overrides())), origin);
        }
        String evalData = data != null ? data : base.data().source();
        if (evalData == null || evalData.isBlank()) {
            throw new IllegalArgumentException("ablation needs labelled data to evaluate on: pass --data SPEC or set"
                    + " data.source in " + origin + " (accepted forms: " + ImageSources.FORMS + ")");
        }
        try {
            ImageSources.checkSpec(evalData);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((data != null ? "--data: " : "config data.source: ") + e.getMessage(), e);
        }
        if (validation > 0) {
            int trainImages = ImageSources.open(evalData, Split.TRAIN).size();
            if (validation >= trainImages) {
                throw new IllegalArgumentException("--validation " + validation + " is beyond the " + trainImages
                        + " training images of " + evalData + ": expected 1.." + (trainImages - 1)
                        + " (the rest trains the probe)");
            }
            int limit = base.data().limit();
            if (evalData.equals(base.data().source()) && (limit == 0 || limit > trainImages - validation)) {
                throw new IllegalArgumentException("--validation " + validation + ": pretraining would read the held-out"
                        + " images (data.limit is " + limit + " of " + trainImages + " training images); add --set"
                        + " data.limit=" + (trainImages - validation));
            }
        }
        OutputChecks.checkFolder("--out", out, OutputChecks.inputs(OutputChecks.dataInputs("--data", evalData),
                OutputChecks.dataInputs("data.source", base.data().source()),
                OutputChecks.dataInputs("data.eval_source", base.data().evalSource())));
        Files.createDirectories(out);
        checkSettings(evalData);
        PrintStream log = System.err;

        int total = chosen.size() * seeds;
        int done = 0;
        List<AblationTable.Variant> rows = new ArrayList<>();
        Path firstRun = null;
        for (Variant v : chosen) {
            List<AblationTable.SeedResult> results = new ArrayList<>();
            for (int i = 0; i < seeds; i++) {
                long seed = base.meta().seed() + i;
                String id = v.name() + "-seed" + seed;
                done++;
                log.printf(Locale.ROOT, "%n== ablation %d/%d: %s (%s)%n", done, total, id, String.join(" ", v.overrides()));
                String runId = sharedRunId(v, seed, baseSets);
                if (!runId.equals(id)) {
                    log.println(id + " has the same config as " + runId + ": sharing its run and evaluation");
                    id = runId;
                }
                Path run = out.resolve("runs").resolve(id);
                Path encoder = train(v, seed, baseSets, run, log);
                if (firstRun == null) {
                    firstRun = run;
                }
                Map<String, AblationTable.Scores> scores = new LinkedHashMap<>();
                evaluate(encoder, out.resolve("eval").resolve(id), evalData, false)
                        .forEach((f, r) -> scores.put(f, scores(r, EvaluationReport.PRETRAINED)));
                results.add(new AblationTable.SeedResult(seed, scores));
            }
            rows.add(new AblationTable.Variant(v.name(), v.overrides(), v.paper(), results));
        }

        Map<String, Map<String, AblationTable.Scores>> baselines = baselines(firstRun, evalData, log);
        Map<String, String> provenance = new LinkedHashMap<>();
        // the parse result's arguments start with the subcommand's name: "tools/jepa4j ablation ..." runs again as is
        provenance.put("command", "tools/jepa4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        provenance.put("base config", config + (sets.isEmpty() ? "" : " with " + String.join(", ", sets)));
        provenance.put("budget", base.optimization().epochs() + (base.optimization().epochs() == 1 ? " epoch" : " epochs")
                + " of " + base.data().batchSize()
                + " images per step" + (base.optimization().maxSteps() > 0 ? ", at most "
                + base.optimization().maxSteps() + " steps" : ""));
        provenance.put("evaluation", evalData + ", linear probe (" + probeEpochs + " SGD epochs) and kNN (k=20)"
                + (limitTrain > 0 ? ", first " + limitTrain + " training images" : "")
                + (limitTest > 0 ? ", first " + limitTest + (validation > 0 ? " held-out" : " test") + " images" : "")
                + (validation > 0 ? ", scored on the last " + validation + " training images (validation), not the"
                + " test split" : ""));
        provenance.put("jepa4j", Version.current());
        provenance.put("date", Instant.now().toString());
        provenance.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.arch")
                + " " + System.getProperty("os.name") + ", Java " + System.getProperty("java.version"));
        AblationTable table = new AblationTable("I-JEPA ablations on " + evalData, features, rows, baselines, provenance);
        table.writeMarkdown(out.resolve("ablation.md"));
        table.writeJson(out.resolve("ablation.json"));
        Charts.ablationBars(table, out.resolve("ablation.png"));
        log.println();
        log.print(table.toMarkdown().lines().takeWhile(l -> !l.startsWith("Per seed")).reduce("", (a, b) -> a + b + "\n"));
        log.println("wrote " + out.resolve("ablation.md") + ", ablation.json, ablation.png");
        return 0;
    }

    static List<Variant> choose(List<String> names) {
        if (names.isEmpty()) {
            return VARIANTS;
        }
        List<Variant> chosen = new ArrayList<>();
        for (String n : names) {
            Variant v = VARIANTS.stream().filter(x -> x.name().equals(n.trim())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--only: unknown variant '" + n + "', expected one of "
                            + VARIANTS.stream().map(Variant::name).toList()));
            if (!chosen.contains(v)) {
                chosen.add(v);
            }
        }
        return chosen;
    }

    private static List<String> with(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * The settings every run and evaluation of {@code out} shares; a rerun with others would mix
     * budgets in one table, so it is refused.
     */
    private void checkSettings(String evalData) throws IOException {
        String settings = "config=" + config + "\nset=" + sets + "\nepochs=" + epochs + "\ndata=" + evalData
                + "\nfeatures=" + features + "\nlimit_train=" + limitTrain + "\nlimit_test=" + limitTest
                + "\nprobe_epochs=" + probeEpochs + "\n" + (validation > 0 ? "validation=" + validation + "\n" : "");
        Path file = out.resolve("settings.txt");
        if (Files.exists(file)) {
            String before = Files.readString(file, StandardCharsets.UTF_8);
            if (!before.equals(settings)) {
                throw new IllegalArgumentException("--out " + out + " holds an ablation with other settings (" + file
                        + ":\n" + before.strip() + "\n), this one has:\n" + settings.strip()
                        + "\nchoose another --out, or repeat those settings to continue it");
            }
        } else {
            AtomicFiles.writeString(file, settings);
        }
    }

    /** The config one variant trains with one seed. */
    private RunConfig resolve(Variant v, long seed, List<String> baseSets) {
        List<String> overrides = with(baseSets, v.overrides());
        overrides.add("meta.seed=" + seed);
        return RunConfigLoader.resolve(config, overrides);
    }

    /**
     * The run id of the first variant (in {@link #VARIANTS} order) whose config for this seed equals
     * {@code v}'s: equal configs are one run, trained and evaluated once (in the preset
     * {@code targets4} is {@code multiblock}). {@code v}'s own id when no earlier variant matches.
     */
    private String sharedRunId(Variant v, long seed, List<String> baseSets) {
        RunConfig mine = resolve(v, seed, baseSets);
        for (Variant other : VARIANTS) {
            if (other.equals(v)) {
                break;
            }
            if (resolve(other, seed, baseSets).equals(mine)) {
                return other.name() + "-seed" + seed;
            }
        }
        return v.name() + "-seed" + seed;
    }

    /** Trains (or continues, or reuses) one run and exports its encoder; returns the ONNX file. */
    private Path train(Variant v, long seed, List<String> baseSets, Path run, PrintStream log) throws Exception {
        Path encoder = run.resolve("encoder.onnx");
        if (Files.exists(encoder)) {
            log.println("reusing " + encoder);
            return encoder;
        }
        RunConfig c = resolve(v, seed, baseSets);
        LoggingConfig l = c.logging();
        c = c.withLogging(new LoggingConfig(run.toString(), l.writeTag(), l.checkpointFreq(), l.logEvery()));
        boolean resume = Files.exists(run.resolve("checkpoints").resolve(Checkpoint.LATEST));
        Trainer trainer = new Trainer(c, Trainer.Options.of(run).withResume(resume));
        Trainer.Summary s = TrainCommand.runStoppingOnSignal(trainer);
        if (s.stopped()) {
            throw new IllegalStateException("training of " + run + " stopped at step " + s.stepsDone() + " of "
                    + s.endStep() + "; rerun the same command to continue it");
        }
        OnnxExporter.export(run, encoder, OnnxExporter.Options.defaults());
        log.println("exported " + encoder);
        return encoder;
    }

    /**
     * Evaluates one encoder with the library's protocol ({@link Evaluator}) for every feature in one
     * extraction pass, or reads the reports of an earlier run; returns each feature's report. The
     * first feature's report is in {@code dir}, each other one in {@code dir/<feature>}: the layout
     * and content of {@code jepa4j eval} with the same settings.
     */
    private Map<String, EvaluationReport> evaluate(Path model, Path dir, String evalData, boolean withPixels)
            throws IOException {
        Map<String, Path> reports = new LinkedHashMap<>();
        for (String f : features) {
            reports.put(f, (f.equals(features.get(0)) ? dir : dir.resolve(f)).resolve("report.json"));
        }
        if (!reports.values().stream().allMatch(Files::exists)) {
            // the command line of the equivalent eval, recorded in each report as before
            List<String> args = new ArrayList<>(List.of("eval", "--model", model.toString(), "--data", evalData,
                    "--features", String.join(",", features), "--out", dir.toString(),
                    "--epochs", Integer.toString(probeEpochs),
                    "--limit-train", Integer.toString(limitTrain), "--limit-test", Integer.toString(limitTest),
                    "--validation", Integer.toString(validation)));
            if (!withPixels) {
                args.add("--no-pixel-baseline");
            }
            EvaluationRequest request = EvaluationRequest.builder(model, evalData, dir)
                    .features(features.stream().map(FeatureKind::parse).toList())
                    .limitTrain(limitTrain).limitTest(limitTest).validation(validation)
                    .pixelBaseline(withPixels)
                    .probe(LinearProbe.Options.defaults().withEpochs(probeEpochs))
                    .extractor(ExtractorOptions.builder().lanes(OnnxRuntimeThreadOptions.onePerProcessor()).build())
                    .command("jepa4j " + String.join(" ", args))
                    .build();
            Evaluator.run(request, System.err);
        }
        Map<String, EvaluationReport> out = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : reports.entrySet()) {
            out.put(e.getKey(), EvaluationReport.readJson(e.getValue()));
        }
        return out;
    }

    /** The random-init encoder of the first run's config and raw pixels, each evaluated once. */
    private Map<String, Map<String, AblationTable.Scores>> baselines(Path firstRun, String evalData, PrintStream log)
            throws IOException {
        Path dir = out.resolve("baseline");
        Path randomInit = dir.resolve(RandomInitBaseline.ONNX_FILE);
        if (!Files.exists(randomInit)) {
            Files.createDirectories(dir);
            RandomInitBaseline.create(firstRun, dir, log);
        }
        Map<String, AblationTable.Scores> random = new LinkedHashMap<>();
        Map<String, AblationTable.Scores> pixels = new LinkedHashMap<>();
        Map<String, EvaluationReport> reports = evaluate(randomInit, dir.resolve("eval"), evalData, true);
        reports.forEach((f, r) -> random.put(f, scores(r, EvaluationReport.PRETRAINED)));
        // raw pixels do not depend on the feature: one figure, shown in the first feature's columns
        pixels.put(features.get(0), scores(reports.get(features.get(0)), EvaluationReport.RAW_PIXELS));
        Map<String, Map<String, AblationTable.Scores>> out = new LinkedHashMap<>();
        out.put("random-init encoder", random);
        out.put("raw pixels", pixels);
        return out;
    }

    private static AblationTable.Scores scores(EvaluationReport r, String name) {
        EvaluationReport.FeatureResult f = r.results().stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("evaluation report has no '" + name + "' result"));
        return new AblationTable.Scores(f.probe().testTop1(), f.knn().top1());
    }
}
