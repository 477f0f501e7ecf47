package org.jepa4j.spark;

import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Images done so far, including those of tasks still running: a driver-side accumulator only
 * holds the counts of finished tasks, but executors report their running tasks' partial counts
 * with every heartbeat ({@code spark.executor.heartbeatInterval}, 10 s by default). This listener
 * keeps the latest partial count of each running task and drops it when the task ends, whose count
 * the accumulator then holds (Spark merges a task's accumulators before it posts the task's end).
 */
final class LiveCounts extends SparkListener {
    private final EmbedCounters counters;
    private final long embeddedId;
    private final long failedId;
    /** Latest partial count (embedded + failed) of each running task. */
    private final Map<Long, long[]> running = new ConcurrentHashMap<>();

    LiveCounts(EmbedCounters counters) {
        this.counters = counters;
        this.embeddedId = counters.embedded().id();
        this.failedId = counters.failed().id();
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
                : CollectionConverters.asJava(update.accumUpdates())) {
            long taskId = (Long) task._1();
            for (AccumulableInfo info : CollectionConverters.asJava(task._4())) {
                if (info.update().isDefined() && info.update().get() instanceof Long v) {
                    if (info.id() == embeddedId) {
                        partial(taskId, 0, v);
                    } else if (info.id() == failedId) {
                        partial(taskId, 1, v);
                    }
                }
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        ended(end.taskInfo().taskId());
    }

    /** Records a running task's partial count of one accumulator (0 embedded, 1 failed). */
    void partial(long taskId, int which, long value) {
        running.computeIfAbsent(taskId, t -> new long[2])[which] = value;
    }

    /** Drops a task's partial counts (it ended). */
    void ended(long taskId) {
        running.remove(taskId);
    }

    /** Images of finished tasks plus the latest reported images of running ones. */
    long done() {
        long sum = counters.embedded().value() + counters.failed().value();
        for (long[] p : running.values()) {
            sum += p[0] + p[1];
        }
        return sum;
    }
}
