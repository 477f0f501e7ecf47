/**
 * The parts of one I-JEPA training step, each in a class named after it, assembled in order by
 * {@link org.jepa4j.train.TrainingGraph}: the fed inputs ({@link org.jepa4j.train.step.StepInputs}),
 * the loss and its targets ({@link org.jepa4j.train.step.JepaLoss},
 * {@link org.jepa4j.train.step.PredictionTarget}), the optimizer ({@link org.jepa4j.train.step.AdamW}),
 * the target encoder's EMA ({@link org.jepa4j.train.step.EmaUpdate}); and the graph plumbing around
 * them: towers ({@link org.jepa4j.train.step.Towers}), data-parallel replicas
 * ({@link org.jepa4j.train.step.ReplicaSync}), profiling ({@link org.jepa4j.train.step.StepProfiler}).
 * How the graph is built: {@link org.jepa4j.train.step.TrainingGraphOptions}.
 */
package org.jepa4j.train.step;
