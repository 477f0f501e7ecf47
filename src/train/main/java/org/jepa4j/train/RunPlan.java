package org.jepa4j.train;

import org.jepa4j.config.DataConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigWriter;
import org.jepa4j.data.DatasetResolver;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.BatchLoader;

import java.io.IOException;

/**
 * What a config makes of its data: the model, the training set and the run's length.
 *
 * @param spec       the model
 * @param trainSet   the training images
 * @param batchSize  {@code data.batch_size}, images per step (over every worker)
 * @param ipe        iterations per epoch
 * @param totalSteps epochs·ipe
 * @param endStep    the step the run stops at ({@code optimization.max_steps} when smaller)
 * @param schedules  learning rate, weight decay and EMA momentum per step
 * @param yaml       the resolved config
 */
record RunPlan(ModelSpec spec, ImageDataset trainSet, int batchSize, long ipe, long totalSteps, long endStep,
               Schedules schedules, String yaml) {

    /** The plan of {@code config}; reads the training set's index. */
    static RunPlan of(RunConfig config) throws IOException {
        DataConfig data = config.data();
        ImageDataset trainSet = DatasetResolver.train(data);
        long ipe = BatchLoader.iterationsPerEpoch(trainSet.size(), data.batchSize());
        if (ipe <= 0) {
            throw new IllegalArgumentException("config data.batch_size: " + data.batchSize() + " is more than the "
                    + trainSet.size() + " training images of " + trainSet.description());
        }
        long totalSteps = config.optimization().epochs() * ipe;
        long maxSteps = config.optimization().maxSteps();
        return new RunPlan(config.modelSpec(), trainSet, data.batchSize(), ipe, totalSteps,
                maxSteps > 0 ? Math.min(maxSteps, totalSteps) : totalSteps, Schedules.of(config.optimization(), ipe),
                RunConfigWriter.toYaml(config));
    }
}

