package org.jepa4j.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;

/**
 * Features of images in a Spark {@link Dataset}, computed on the executors with an exported encoder:
 * <pre>{@code
 * SparkConf conf = ModelShipping.ship(new SparkConf(), Path.of("encoder.onnx"));   // before the session starts
 * SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
 * Dataset<Row> images = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load("/data/photos");
 * Dataset<Row> features = SparkEmbedding.embed(spark, images, EmbedOptions.of("encoder.onnx", modelId));
 * }</pre>
 * Each executor JVM opens the model once ({@link ExecutorExtractors}) and its tasks share it; the
 * vectors are those of {@code FeatureExtractor.embed} on the same file. The output has one row per
 * input row ({@link #SCHEMA}): images that cannot be read or decoded, or that declare more pixels
 * than {@link EmbedOptions#maxPixels}, get a null embedding and the reason in {@code error} instead
 * of failing the job.
 */
public final class SparkEmbedding {
    /** Column of the image's path (a URI string such as {@code file:/data/a/1.png}). */
    public static final String PATH = "path";
    /** Column of the encoded image bytes, as Spark's {@code binaryFile} source names it. */
    public static final String CONTENT = "content";
    /** Column of the class folder of an ImageFolder layout, or null. */
    public static final String LABEL = "label";
    /** Column of the feature's name ({@code pooled}, ...). */
    public static final String FEATURE = "feature";
    /** Column of the vector, {@code array<float>}; null when the image failed. */
    public static final String EMBEDDING = "embedding";
    /** Column of the model identity ({@code encoder.onnx@3f2a9c01d4e5}). */
    public static final String MODEL_ID = "model_id";
    /** Column of why the image has no embedding; null when it has one. */
    public static final String ERROR = "error";

    /** The output rows: path, label, feature, embedding, model_id, error. */
    public static final StructType SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField(PATH, DataTypes.StringType, false),
            DataTypes.createStructField(LABEL, DataTypes.StringType, true),
            DataTypes.createStructField(FEATURE, DataTypes.StringType, false),
            DataTypes.createStructField(EMBEDDING, DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField(MODEL_ID, DataTypes.StringType, false),
            DataTypes.createStructField(ERROR, DataTypes.StringType, true),
    });

    private SparkEmbedding() {
    }

    /** {@link #embed(SparkSession, Dataset, EmbedOptions, EmbedCounters)} without counters. */
    public static Dataset<Row> embed(SparkSession spark, Dataset<Row> images, EmbedOptions options) {
        return embed(spark, images, options, null);
    }

    /**
     * Features of {@code images}, lazily (nothing runs until the result is written or collected).
     *
     * @param images  rows with a string {@code path} and, optionally, binary {@code content} (Spark's
     *                {@code binaryFile} source); without content each executor reads the path itself.
     *                The input's partitions are kept: size them by image count (see {@link SparkEmbedCommand})
     * @param options the shipped model, feature, batch, pixel limit and label folder
     * @param counters counts to update while the result is computed, or {@code null}
     * @throws IllegalArgumentException when {@code images} has no string {@code path} column or a
     *                                  {@code content} column that is not binary
     */
    public static Dataset<Row> embed(SparkSession spark, Dataset<Row> images, EmbedOptions options,
                                     EmbedCounters counters) {
        StructType in = images.schema();
        List<String> names = Arrays.asList(in.fieldNames());
        if (!names.contains(PATH) || !(in.apply(PATH).dataType() instanceof StringType)) {
            throw new IllegalArgumentException("images: expected a string column '" + PATH + "' (and optionally binary '"
                    + CONTENT + "', as spark.read().format(\"binaryFile\") gives), found " + in.simpleString());
        }
        boolean withContent = names.contains(CONTENT);
        if (withContent && !(in.apply(CONTENT).dataType() instanceof BinaryType)) {
            throw new IllegalArgumentException("images: column '" + CONTENT + "' is " + in.apply(CONTENT).dataType().simpleString()
                    + ", expected binary (encoded image bytes)");
        }
        Dataset<Row> selected = withContent ? images.select(PATH, CONTENT) : images.select(PATH);
        return selected.mapPartitions(new EmbedPartition(options, withContent, counters), Encoders.row(SCHEMA));
    }
}
