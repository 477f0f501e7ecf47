package org.jepa4j.spark;

import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

import java.io.Serializable;
import java.util.List;

/**
 * Driver-side counts of an embedding job, updated by the tasks: images embedded, images that could
 * not be decoded, and the first few failures ({@value #FAILURES_PER_PARTITION} per partition at
 * most) as {@code path: reason}. Updated inside the write action, so Spark applies each task's
 * update once even when a task is retried.
 *
 * @param embedded images with an embedding
 * @param failed   images without one (the {@code error} column says why)
 * @param failures {@code path: reason} of the first failures of each partition
 */
public record EmbedCounters(LongAccumulator embedded, LongAccumulator failed, CollectionAccumulator<String> failures)
        implements Serializable {
    /** Failures each partition reports by name; all of them are in the output's {@code error} column. */
    public static final int FAILURES_PER_PARTITION = 5;

    /** Registers fresh counters with {@code sc}. */
    public static EmbedCounters register(SparkContext sc) {
        return new EmbedCounters(sc.longAccumulator("jepa4j images embedded"), sc.longAccumulator("jepa4j images failed"),
                sc.collectionAccumulator("jepa4j failures"));
    }

    /** The failures reported by name so far. */
    public List<String> failureList() {
        return List.copyOf(failures.value());
    }
}
