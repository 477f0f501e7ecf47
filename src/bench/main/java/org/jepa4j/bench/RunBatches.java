package org.jepa4j.bench;

import org.jepa4j.config.RunConfig;
import org.jepa4j.data.DatasetResolver;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.mask.MaskSampler;
import org.jepa4j.mask.MaskSamplers;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.pipeline.BatchLoader;
import org.jepa4j.pipeline.LoaderOptions;
import org.jepa4j.pipeline.TrainTransform;

import java.util.ArrayList;
import java.util.List;

/** The batches a run trains on (images, crops and masks), read through the run's own loader and mask sampler. */
final class RunBatches {
    private RunBatches() {
    }

    /** The batches of steps {@code firstStep .. firstStep + count - 1}. */
    static List<Batch> at(RunConfig config, long firstStep, int count) {
        return at(config, DatasetResolver.train(config.data()), firstStep, count);
    }

    /** The first {@code count} batches of the run, at most one epoch's. */
    static List<Batch> firstOfEpoch(RunConfig config, int count) {
        ImageDataset train = DatasetResolver.train(config.data());
        long ipe = BatchLoader.iterationsPerEpoch(train.size(), config.data().batchSize());
        return at(config, train, 0, (int) Math.min(count, Math.max(1, ipe)));
    }

    private static List<Batch> at(RunConfig config, ImageDataset train, long firstStep, int count) {
        ModelSpec spec = config.modelSpec();
        MaskSampler sampler = MaskSamplers.create(config.mask(), spec.encoder().gridSize(), spec.encoder().gridSize(),
                config.meta().seed());
        List<Batch> out = new ArrayList<>();
        try (BatchLoader loader = new BatchLoader(train, TrainTransform.of(config.data()), sampler,
                LoaderOptions.training(config.data(), config.meta().seed(), firstStep, firstStep + count))) {
            for (int i = 0; i < count; i++) {
                out.add(loader.next());
            }
        }
        return out;
    }
}
