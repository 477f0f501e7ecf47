package org.jepa4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Path;

/** Test sessions: loopback only, no web UI, few shuffle partitions. */
final class SparkSessions {
    private SparkSessions() {
    }

    /** A session on {@code master} with {@code model} shipped through {@code spark.files}. */
    static SparkSession start(String master, Path model, SparkConf extra) throws IOException {
        SparkConf conf = ModelShipping.ship(extra.setMaster(master).setAppName("jepa4j-test")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.sql.shuffle.partitions", "2"), model);
        return SparkSession.builder().config(conf).getOrCreate();
    }
}
