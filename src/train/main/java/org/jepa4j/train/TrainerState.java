package org.jepa4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * What the trainer needs, besides the tensors, to continue a run identically; stored as JSON
 * under the checkpoint metadata key {@code jepa4j.state}. Every random choice of a run (data
 * order, crops, masks) is a pure function of {@code (seed, step)}, so the seed and the step are
 * the whole RNG state.
 *
 * @param step            global steps completed (the next step to run, 0-based)
 * @param epoch           epochs completed ({@code step / ipe})
 * @param maskSamplerStep the mask sampler's counter (the reference collator's seed of the next batch)
 * @param seed            {@code meta.seed}: initialisation, data order, crops and masks
 * @param ipe             iterations per epoch of the run (dataset size / batch size, drop_last)
 * @param batchSize       images per step
 * @param datasetSize     training images
 * @param lastLoss        loss of the last completed step (NaN when none)
 * @param imported        true when {@code jepa4j import} wrote the checkpoint from another
 *                        implementation's weights (then a run with other data may warm-start from it)
 */
public record TrainerState(@JsonProperty("step") long step, @JsonProperty("epoch") long epoch,
                           @JsonProperty("mask_sampler_step") long maskSamplerStep, @JsonProperty("seed") long seed,
                           @JsonProperty("ipe") long ipe, @JsonProperty("batch_size") int batchSize,
                           @JsonProperty("dataset_size") long datasetSize,
                           @JsonProperty("last_loss") double lastLoss, @JsonProperty("imported") boolean imported) {

    /** A state written by the trainer itself. */
    public TrainerState(long step, long epoch, long maskSamplerStep, long seed, long ipe, int batchSize,
                        long datasetSize, double lastLoss) {
        this(step, epoch, maskSamplerStep, seed, ipe, batchSize, datasetSize, lastLoss, false);
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** JSON text (NaN loss written as null). */
    public String toJson() {
        try {
            var node = JSON.createObjectNode();
            node.put("step", step).put("epoch", epoch).put("mask_sampler_step", maskSamplerStep).put("seed", seed)
                    .put("ipe", ipe).put("batch_size", batchSize).put("dataset_size", datasetSize);
            if (Double.isFinite(lastLoss)) {
                node.put("last_loss", lastLoss);
            } else {
                node.putNull("last_loss");
            }
            if (imported) {
                node.put("imported", true);
            }
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Parses the JSON written by {@link #toJson()}.
     *
     * @throws IllegalArgumentException naming what is wrong with the text
     */
    public static TrainerState fromJson(String json) {
        if (json == null) {
            throw new IllegalArgumentException("checkpoint has no trainer state (metadata 'jepa4j.state' is missing):"
                    + " it was not written by 'jepa4j train' and cannot be resumed");
        }
        try {
            var n = JSON.readTree(json);
            for (String key : new String[] {"step", "mask_sampler_step", "seed", "ipe", "batch_size"}) {
                if (!n.hasNonNull(key)) {
                    throw new IllegalArgumentException("trainer state JSON lacks '" + key + "': " + json);
                }
            }
            return new TrainerState(n.get("step").asLong(), n.path("epoch").asLong(), n.get("mask_sampler_step").asLong(),
                    n.get("seed").asLong(), n.get("ipe").asLong(), n.get("batch_size").asInt(),
                    n.path("dataset_size").asLong(), n.hasNonNull("last_loss") ? n.get("last_loss").asDouble() : Double.NaN,
                    n.path("imported").asBoolean(false));
        } catch (IOException e) {
            throw new IllegalArgumentException("trainer state is not valid JSON: " + e.getMessage(), e);
        }
    }
}
