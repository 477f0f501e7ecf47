package org.jepa4j.spark;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.col;

/**
 * The file formats {@code spark-embed} writes, each with Spark's own writer. Parquet and JSON keep
 * the embedding as one {@code array<float>} column; CSV, which has no array type, spreads it over
 * columns {@code f0 … f(D-1)} as {@code jepa4j embed --out x.csv} does.
 */
public enum OutputFormat {
    PARQUET, JSON, CSV;

    /** Parses {@code parquet}, {@code json} or {@code csv} (case-insensitive). */
    public static OutputFormat parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--format " + s + ": expected parquet, json or csv", e);
        }
    }

    /** Spark's name of the data source. */
    public String source() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Options of Spark's writer: CSV files start with a header line naming the columns; JSON rows keep
     * their null fields ({@code "error":null}), so every row names every column of {@link SparkEmbedding#SCHEMA}.
     */
    public java.util.Map<String, String> writerOptions() {
        return switch (this) {
            case CSV -> java.util.Map.of("header", "true");
            case JSON -> java.util.Map.of("ignoreNullFields", "false");
            case PARQUET -> java.util.Map.of();
        };
    }

    /** {@code rows} ({@link SparkEmbedding#SCHEMA}) in the shape this format can hold; {@code dimension} values per image. */
    public Dataset<Row> shape(Dataset<Row> rows, int dimension) {
        if (this != CSV) {
            return rows;
        }
        List<Column> cols = new ArrayList<>(List.of(col(SparkEmbedding.PATH), col(SparkEmbedding.LABEL),
                col(SparkEmbedding.FEATURE), col(SparkEmbedding.MODEL_ID), col(SparkEmbedding.ERROR)));
        for (int j = 0; j < dimension; j++) {
            cols.add(col(SparkEmbedding.EMBEDDING).getItem(j).as("f" + j));
        }
        return rows.select(cols.toArray(Column[]::new));
    }
}
